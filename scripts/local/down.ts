/** `npm run local:stop`: stops the emulator this checkout started, its Lambda workers, and removes temp files. */
import { stop } from './emulator';
import { step } from './progress';

step('stop the emulator', async () => {
  const r = await stop();
  console.log(
    r.stopped
      ? `  stopped${r.killed ? ' (SIGKILL after SIGTERM timed out)' : ''}, ${r.leftovers} leftover worker(s) ended`
      : '  no emulator of this checkout was running',
  );
}).catch((err) => {
  console.error((err as Error).message);
  process.exit(1);
});
