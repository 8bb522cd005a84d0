import { HttpClient } from './http.ts';
import { InProcessClient } from './in-process.ts';
import { runClientSuite } from './client.suite.ts';
import { openTestRegistry, systemUser } from '../../test/harness/registry.ts';
import { startServer } from '../../test/harness/server.ts';

runClientSuite('in-process', async () => {
  const r = await openTestRegistry();
  return { client: new InProcessClient(r.registry, systemUser), close: r.close };
});

runClientSuite('http', async () => {
  const srv = await startServer();
  const client = HttpClient.fromKubeconfig(srv.kubeconfig);
  return {
    client,
    async close() {
      client.close();
      await srv.stop();
    },
  };
});
