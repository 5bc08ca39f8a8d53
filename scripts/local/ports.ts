import { createServer } from 'node:net';

export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** The port named by `envVar` if given (it must be free), else the first free one of 50 from `first` upward. */
export async function choosePortFrom(first: number, envVar: string, env: NodeJS.ProcessEnv = process.env, isFree = portIsFree): Promise<number> {
  const given = env[envVar];
  if (given) {
    const port = Number(given);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${envVar} is not a port: ${given}`);
    if (!(await isFree(port))) throw new Error(`${envVar} ${port} is in use by another process`);
    return port;
  }
  for (let port = first; port < first + 50; port++) if (await isFree(port)) return port;
  throw new Error(`no free port in ${first}..${first + 49} on 127.0.0.1`);
}
