// A tiny client for the daemon's API, used by `flotilla status` and `flotilla history`.
import { request } from 'node:http';

export async function getJson(server: string, path: string, timeoutMs = 5000): Promise<unknown> {
  const url = new URL(path, server.endsWith('/') ? server : server + '/');
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if ((res.statusCode ?? 500) >= 400) return reject(new Error(`${url.href} answered ${res.statusCode}: ${text.trim()}`));
        try {
          resolve(JSON.parse(text));
        } catch {
          reject(new Error(`${url.href} did not answer JSON`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${server} within ${timeoutMs} ms`)));
    req.on('error', (err) => reject(new Error(`cannot reach the Flotilla daemon at ${server}: ${err.message}; is 'flotilla run' running (see --server)?`)));
    req.end();
  });
}
