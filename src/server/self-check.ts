/** Asks our own API for /readyz over TLS with the admin credential, as a client would. */
import https from 'node:https';

export function selfCheck(host: string, port: number, caPem: string, admin: { certPem: string; keyPem: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host, port, path: '/readyz', method: 'GET', ca: caPem, cert: admin.certPem, key: admin.keyPem, servername: 'localhost', timeout: 5000 },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`/readyz answered ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.end();
  });
}
