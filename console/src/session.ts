/**
 * The shop's API key lives in sessionStorage only: it is gone when the tab closes, and never
 * written anywhere that outlives the browser session. The language choice is not a secret and is
 * remembered across sessions.
 */

const KEY = 'rapport.apiKey';
const LANGUAGE = 'rapport.language';

export const readKey = () => sessionStorage.getItem(KEY);
export const saveKey = (key: string) => sessionStorage.setItem(KEY, key);
export const forgetKey = () => sessionStorage.removeItem(KEY);

export const readLanguage = () => localStorage.getItem(LANGUAGE);
export const saveLanguage = (language: string) => localStorage.setItem(LANGUAGE, language);

/** Runs started from this browser tab, newest first: the API has no list of runs. */
const RUNS = 'rapport.runs';
export const readRuns = (): string[] => JSON.parse(sessionStorage.getItem(RUNS) ?? '[]') as string[];
export const rememberRun = (runId: string) =>
  sessionStorage.setItem(RUNS, JSON.stringify([runId, ...readRuns().filter((id) => id !== runId)].slice(0, 20)));
