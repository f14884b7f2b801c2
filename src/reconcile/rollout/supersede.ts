// "A newer commit during a health wait cancels the wait and rolls forward to it": while a
// rollout runs, look at the branch head now and then; when it moved to a commit that is not
// quarantined, abort the rollout so the next reconcile applies the newer one.
import type { GitSource } from '../../sync/git-source.js';

export interface SupersedeWatch {
  signal: AbortSignal;
  /** The newer revision, once seen. */
  superseded(): string | undefined;
  stop(): void;
}

/** `headAtStart` is the branch head when the rollout began (the target may differ: a quarantined or invalid head). */
export function watchForNewerCommit(source: GitSource, headAtStart: string, quarantined: (r: string) => boolean, everyMs: number, parent: AbortSignal): SupersedeWatch {
  const controller = new AbortController();
  const onParentAbort = () => controller.abort(parent.reason);
  parent.addEventListener('abort', onParentAbort, { once: true });
  let newer: string | undefined;
  let checking = false;
  const timer = everyMs > 0
    ? setInterval(() => {
        if (checking || newer) return;
        checking = true;
        source.fetch().then(
          ({ revision: head }) => {
            checking = false;
            if (head !== headAtStart && !quarantined(head)) {
              newer = head;
              controller.abort(Object.assign(new Error(`superseded by ${head}`), { code: 'SUPERSEDED' }));
            }
          },
          () => (checking = false),
        );
      }, everyMs)
    : undefined;
  return {
    signal: controller.signal,
    superseded: () => newer,
    stop: () => {
      if (timer) clearInterval(timer);
      parent.removeEventListener('abort', onParentAbort);
    },
  };
}
