import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError, api, itemsOf, type Query } from '../api.ts';

export interface Resource<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** GETs `path`, and again whenever it, the query or reload() changes. */
export function useResource<T>(path: string, query?: Query): Resource<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const key = JSON.stringify(query ?? {});

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    setError(null);
    api
      .get<T>(path, JSON.parse(key) as Query, controller.signal)
      .then((value) => setData(value))
      .catch((e: unknown) => {
        if (!controller.signal.aborted) setError(e);
      })
      .finally(() => {
        if (!controller.signal.aborted) setLoading(false);
      });
    return () => controller.abort();
    // `tick` is the reload trigger.
  }, [path, key, tick]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}

export interface PagedList<T> {
  items: T[];
  hasMore: boolean;
  loading: boolean;
  error: unknown;
  loadMore: () => void;
  reload: () => void;
}

/** A list read page by page with `starting_after` (the last item's id), as every API list works. */
export function usePagedList<T extends { id: string }>(path: string, query: Query = {}): PagedList<T> {
  const [items, setItems] = useState<T[]>([]);
  const [hasMore, setHasMore] = useState(false);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  const key = JSON.stringify(query);
  const generation = useRef(0);

  const fetchPage = useCallback(
    async (after: string | undefined, replace: boolean) => {
      const mine = ++generation.current;
      setLoading(true);
      setError(null);
      try {
        const page = await api.get<{ has_more?: boolean }>(path, {
          ...(JSON.parse(key) as Query),
          limit: 50,
          starting_after: after,
        });
        if (mine !== generation.current) return;
        const next = itemsOf<T>(page);
        setItems((old) => (replace ? next : [...old, ...next]));
        setHasMore(page?.has_more === true);
      } catch (e) {
        if (mine === generation.current) setError(e);
      } finally {
        if (mine === generation.current) setLoading(false);
      }
    },
    [path, key],
  );

  useEffect(() => {
    setItems([]);
    setHasMore(false);
    void fetchPage(undefined, true);
    // `tick` is the reload trigger.
  }, [fetchPage, tick]);

  const loadMore = useCallback(() => {
    void fetchPage(items.at(-1)?.id, false);
  }, [fetchPage, items]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { items, hasMore, loading, error, loadMore, reload };
}

/** Runs one action at a time, keeping its error (shown with role="alert") and a success note. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const run = useCallback(async (action: () => Promise<unknown>, success?: string): Promise<boolean> => {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      await action();
      setDone(success ?? null);
      return true;
    } catch (e) {
      setError(e);
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, done, run };
}

export type Action = ReturnType<typeof useAction>;

/** A form's text fields: `set('name')` is that field's onChange, `reset()` empties the form again. */
export function useForm<F extends Record<string, string>>(initial: F) {
  const [values, setValues] = useState(initial);
  const set = (key: keyof F) => (value: string) => setValues((v) => ({ ...v, [key]: value }));
  return { values, set, reset: () => setValues(initial) };
}

export function isStatus(error: unknown, status: number): boolean {
  return error instanceof ApiError && error.status === status;
}
