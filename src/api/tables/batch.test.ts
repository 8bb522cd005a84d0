import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cronJobPrinter, jobPrinter } from './batch.ts';
import { ago, cellMap, columnNames, now, wideColumnNames } from './test-fixtures.ts';

const podTemplate = { spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl:5.40' }] } };
const uidSelector = { matchLabels: { 'batch.kubernetes.io/controller-uid': '3f1c9e2a' } };

function job(spec: object, status: object, metadata: object = {}) {
  return { metadata: { name: 'pi', creationTimestamp: ago(300), ...metadata }, spec: { selector: uidSelector, template: podTemplate, ...spec }, status };
}

const complete = (type: string, status = 'True') => ({ type, status });

test('job and cronjob columns are upstream 1.32', () => {
  const wideSet = ['Containers', 'Images', 'Selector'];
  assert.deepEqual(columnNames(jobPrinter), ['Name', 'Status', 'Completions', 'Duration', 'Age', ...wideSet]);
  assert.deepEqual(wideColumnNames(jobPrinter), wideSet);
  assert.deepEqual(columnNames(cronJobPrinter), ['Name', 'Schedule', 'Timezone', 'Suspend', 'Active', 'Last Schedule', 'Age', ...wideSet]);
  assert.deepEqual(wideColumnNames(cronJobPrinter), wideSet);
  assert.equal(cronJobPrinter.columns[3]!.type, 'boolean');
});

test('a completed job prints every cell', () => {
  const j = job(
    { completions: 1, parallelism: 1 },
    { startTime: ago(300), completionTime: ago(238), succeeded: 1, conditions: [complete('SuccessCriteriaMet'), complete('Complete')] },
  );
  assert.deepEqual(jobPrinter.cells(j, now), ['pi', 'Complete', '1/1', '62s', '5m', 'pi', 'perl:5.40', 'batch.kubernetes.io/controller-uid=3f1c9e2a']);
});

test('job status, completions and duration', () => {
  const cases: [string, object, Record<string, unknown>][] = [
    ['running, defaults', job({}, { startTime: ago(90), active: 1 }), { Status: 'Running', Completions: '0/1', Duration: '90s' }],
    ['not started yet', job({ completions: 5 }, {}), { Status: 'Running', Completions: '0/5', Duration: '' }],
    ['a parallel work queue', job({ parallelism: 3 }, { startTime: ago(30), succeeded: 1 }), { Completions: '1/1 of 3' }],
    ['parallelism 1 without completions', job({ parallelism: 1 }, {}), { Completions: '0/1' }],
    [
      'failed after its backoff limit',
      job({ completions: 3 }, { startTime: ago(200), succeeded: 1, failed: 7, conditions: [complete('FailureTarget'), complete('Failed')] }),
      { Status: 'Failed', Completions: '1/3', Duration: '3m20s' },
    ],
    ['about to fail', job({}, { startTime: ago(10), conditions: [complete('FailureTarget')] }), { Status: 'FailureTarget' }],
    ['suspended', job({ suspend: true }, { conditions: [complete('Suspended')] }), { Status: 'Suspended' }],
    ['a resumed job with a stale False condition runs', job({}, { conditions: [complete('Suspended', 'False')] }), { Status: 'Running' }],
    ['being deleted', job({}, { startTime: ago(10) }, { deletionTimestamp: ago(1) }), { Status: 'Terminating' }],
    [
      'terminal conditions beat deletion',
      job({}, { conditions: [complete('Complete')] }, { deletionTimestamp: ago(1) }),
      { Status: 'Complete' },
    ],
  ];
  for (const [name, obj, want] of cases) {
    const got = cellMap(jobPrinter, obj);
    for (const [column, value] of Object.entries(want)) assert.equal(got[column], value, `${name}: ${column}`);
  }
});

test('cronjobs', () => {
  const cj = (spec: object, status: object) => ({
    metadata: { name: 'backup', creationTimestamp: ago(86400 * 9) },
    spec: { schedule: '0 3 * * *', jobTemplate: { spec: { template: podTemplate } }, ...spec },
    status,
  });
  const cases: [string, object, unknown[]][] = [
    [
      'scheduled before, with one active job',
      cj({ timeZone: 'Europe/Berlin', suspend: false }, { active: [{ kind: 'Job', name: 'backup-29123' }], lastScheduleTime: ago(125) }),
      ['backup', '0 3 * * *', 'Europe/Berlin', 'False', 1, '2m5s', '9d', 'pi', 'perl:5.40', '<none>'],
    ],
    [
      'never scheduled; suspend unset reads False',
      cj({}, {}),
      ['backup', '0 3 * * *', '<none>', 'False', 0, '<none>', '9d', 'pi', 'perl:5.40', '<none>'],
    ],
    [
      'suspended, with a job selector',
      cj({ suspend: true, jobTemplate: { spec: { selector: { matchLabels: { app: 'backup' } }, template: podTemplate } } }, {}),
      ['backup', '0 3 * * *', '<none>', 'True', 0, '<none>', '9d', 'pi', 'perl:5.40', 'app=backup'],
    ],
  ];
  for (const [name, obj, want] of cases) assert.deepEqual(cronJobPrinter.cells(obj as any, now), want, name);
});
