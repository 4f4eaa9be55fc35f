import { useEffect, useState } from "react";

// Runs `run` once the browser has painted the frame in flight: a requestAnimationFrame callback runs
// just before that frame's paint, a task queued from it after. Returns a cancel.
export function afterPaint(run: () => void): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const frame = requestAnimationFrame(() => { timer = setTimeout(run); });
  return () => { cancelAnimationFrame(frame); if (timer !== undefined) clearTimeout(timer); };
}

// False for a component's first commit, true from the frame after it was painted: what is below the
// fold or secondary renders then, so the first frame shows what the user came for sooner.
export function usePainted(): boolean {
  const [painted, setPainted] = useState(false);
  useEffect(() => afterPaint(() => setPainted(true)), []);
  return painted;
}

// A value outside React that a few components follow (useSyncExternalStore): setting it re-renders
// only them, not the tree that owns it.
export interface Store<T> { get: () => T; set: (value: T) => void; subscribe: (listener: () => void) => () => void }
export function makeStore<T>(initial: T): Store<T> {
  let value = initial;
  const listeners = new Set<() => void>();
  return {
    get: () => value,
    set: (next) => { value = next; listeners.forEach((l) => l()); },
    subscribe: (listener) => { listeners.add(listener); return () => { listeners.delete(listener); }; },
  };
}
