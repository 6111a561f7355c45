/**
 * Step and progress lines of `npm start`. On a terminal a progress line rewrites itself; in a log
 * (tests, CI, `npm start > file`) it prints at most every couple of seconds and at the end.
 */
export interface Log {
  step(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  progress(label: string): Progress;
}

export interface Progress {
  update(done: number, total: number, extra?: string): void;
  done(summary: string): void;
}

const fmt = (n: number): string => n.toLocaleString('en-US');

export function createLog(out: NodeJS.WriteStream = process.stdout, err: NodeJS.WriteStream = process.stderr): Log {
  const tty = Boolean(out.isTTY);
  let open = false; // a \r progress line is on screen
  const clear = (): void => {
    if (open) {
      out.write('\n');
      open = false;
    }
  };
  return {
    step(message) {
      clear();
      out.write(`[start] ${message}\n`);
    },
    info(message) {
      clear();
      out.write(`${message}\n`);
    },
    warn(message) {
      clear();
      err.write(`[start] warning: ${message}\n`);
    },
    progress(label) {
      const started = Date.now();
      let lastPrint = 0;
      return {
        update(done, total, extra) {
          const now = Date.now();
          const text = `[start] ${label} ${fmt(done)} / ${fmt(total)}${extra ? ` ${extra}` : ''}`;
          if (tty) {
            out.write(`\r${text}\x1b[K`);
            open = true;
          } else if (now - lastPrint >= 2000 || done === total) {
            out.write(`${text}\n`);
            lastPrint = now;
          }
        },
        done(summary) {
          if (tty && open) out.write('\r\x1b[K');
          open = false;
          out.write(`[start] ${summary} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
        },
      };
    },
  };
}
