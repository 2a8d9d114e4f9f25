import { createContext } from 'preact';
import { useCallback, useContext, useEffect, useRef, useState } from 'preact/hooks';
import type { Api } from './api.ts';
import type { Formatters } from './format.ts';
import type { Language, Messages } from './i18n/index.ts';
import type { Shop } from './types.ts';

/** The signed-in shop as the console knows it; `full` is GET /v1/shop's answer when the server has that route. */
export interface ShopInfo {
  shopId: string;
  name: string;
  currency: string;
  locale: string;
  timezone: string;
  full: Shop | null;
}

export interface AppContextValue {
  api: Api;
  shop: ShopInfo;
  t: Messages;
  fmt: Formatters;
  language: Language;
  setLanguage(language: Language): void;
  /** Reads the shop again (after its settings changed). */
  refreshShop(): Promise<void>;
  /** After a key rotation: every later call uses the new key. */
  switchKey(key: string): void;
}

export const AppContext = createContext<AppContextValue | null>(null);

export function useApp(): AppContextValue {
  const value = useContext(AppContext);
  if (!value) throw new Error('useApp outside the signed-in app');
  return value;
}

export interface Resource<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload(): void;
}

/** Loads on mount and whenever `deps` change; a late answer to an earlier request is dropped. */
export function useResource<T>(load: () => Promise<T>, deps: readonly unknown[]): Resource<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: true,
  });
  const [generation, setGeneration] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    const ticket = ++latest.current;
    setState((previous) => ({ ...previous, loading: true, error: undefined }));
    load().then(
      (data) => ticket === latest.current && setState({ data, error: undefined, loading: false }),
      (error: unknown) => ticket === latest.current && setState({ data: undefined, error, loading: false }),
    );
  }, [...deps, generation]);
  const reload = useCallback(() => setGeneration((n) => n + 1), []);
  return { ...state, reload };
}
