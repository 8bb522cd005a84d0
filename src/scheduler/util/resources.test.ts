import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makePod } from '../testing/builders.ts';
import { podNonZeroRequests, podRequests } from './resources.ts';

describe('podRequests', () => {
  const cases: { name: string; pod: ReturnType<typeof makePod>; cpu: number; memory: number; nonZeroCPU: number; nonZeroMemory: number; gpu?: number }[] = [
    { name: 'no requests', pod: makePod(), cpu: 0, memory: 0, nonZeroCPU: 100, nonZeroMemory: 200 * 1024 * 1024 },
    { name: 'one container', pod: makePod().req({ cpu: '500m', memory: '1Gi' }), cpu: 500, memory: 1 << 30, nonZeroCPU: 500, nonZeroMemory: 1 << 30 },
    { name: 'containers add up', pod: makePod().req({ cpu: '1' }).container({ cpu: '250m' }), cpu: 1250, memory: 0, nonZeroCPU: 1250, nonZeroMemory: 400 * 1024 * 1024 },
    { name: 'init container larger than containers', pod: makePod().req({ cpu: '1' }).initReq({ cpu: '2', memory: '3Gi' }), cpu: 2000, memory: 3 * 2 ** 30, nonZeroCPU: 2000, nonZeroMemory: 3 * 2 ** 30 },
    { name: 'init container smaller', pod: makePod().req({ cpu: '2' }).initReq({ cpu: '1' }), cpu: 2000, memory: 0, nonZeroCPU: 2000, nonZeroMemory: 200 * 1024 * 1024 },
    {
      name: 'sidecar runs beside later init containers and the app',
      // sidecar 1 cpu; init 2 cpu runs with it (3); app 1 cpu + sidecar = 2 → max 3
      pod: makePod().req({ cpu: '1' }).initReq({ cpu: '1' }, { sidecar: true }).initReq({ cpu: '2' }),
      cpu: 3000,
      memory: 0,
      nonZeroCPU: 3000,
      nonZeroMemory: 400 * 1024 * 1024,
    },
    { name: 'overhead is added', pod: makePod().req({ cpu: '1' }).overhead({ cpu: '250m', memory: '120Mi' }), cpu: 1250, memory: 120 * 1024 * 1024, nonZeroCPU: 1250, nonZeroMemory: 320 * 1024 * 1024 },
    { name: 'explicit zero is not defaulted', pod: makePod().req({ cpu: '0', memory: '0' }), cpu: 0, memory: 0, nonZeroCPU: 0, nonZeroMemory: 0 },
    { name: 'extended resources', pod: makePod().req({ cpu: '1', 'example.com/gpu': '2' }), cpu: 1000, memory: 0, nonZeroCPU: 1000, nonZeroMemory: 200 * 1024 * 1024, gpu: 2 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const spec = c.pod.obj()['spec'];
      const r = podRequests(spec);
      assert.equal(r.milliCPU, c.cpu);
      assert.equal(r.memory, c.memory);
      assert.equal(r.scalar?.get('example.com/gpu'), c.gpu);
      assert.deepEqual(podNonZeroRequests(spec), { milliCPU: c.nonZeroCPU, memory: c.nonZeroMemory });
    });
  }
});
