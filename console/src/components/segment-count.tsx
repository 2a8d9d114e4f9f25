import { useEffect, useRef, useState } from 'preact/hooks';
import { useApp, useResource } from '../app-context.ts';
import { Link } from '../router.tsx';
import { rememberRun } from '../session.ts';
import type { Run, Segments } from '../types.ts';
import { ErrorNotice } from './ui.tsx';

/**
 * "Counted at the next run". A rule segment's members are counted by a run: GET /v1/segments gives
 * the last finished run's counts, with a new segment at 0 as if it were empty. The API does not say
 * which segments changed since that run, so a segment saved in this tab is marked with the time
 * of its save until a run requested after it has finished. The marks, and the run being watched (so
 * the watch goes on across pages), live in sessionStorage beside the runs started here (session.ts).
 */

const SAVED = 'rapport.segmentsSaved';
const WATCHED = 'rapport.segmentRun';
const POLL_MS = 1000;
/**
 * How long after a save a server container may still read the program it had cached before
 * (shared/deps.ts CACHE_MS, and a second for the clocks): a run's scoring step reads the program
 * through that cache, so only a run requested this long after a save is sure to count the new rule.
 */
const PROGRAM_CACHE_MS = 31_000;

const readSaved = (): Record<string, string> => JSON.parse(sessionStorage.getItem(SAVED) ?? '{}') as Record<string, string>;
const writeSaved = (saved: Record<string, string>) => sessionStorage.setItem(SAVED, JSON.stringify(saved));

/** The segment `rule:{id}` was saved at `savedAt` (the program's updatedAt, the server's clock like a run's times). */
export function markSaved(segmentId: string, savedAt: string): void {
  writeSaved({ ...readSaved(), [segmentId]: savedAt });
}

export function forgetSaved(segmentId: string): void {
  const { [segmentId]: _gone, ...rest } = readSaved();
  writeSaved(rest);
}

const countedAt = (savedAt: string) => Date.parse(savedAt) + PROGRAM_CACHE_MS;

/**
 * Whether the count GET /v1/segments gives for the rule segment `rule:{id}` is not its count yet:
 * no run has finished, the answer does not list it (it reads a cached program too), or it was saved
 * here after the run those counts come from was requested.
 */
export function awaitsRun(segmentId: string, segments: Segments | undefined): boolean {
  if (!segments) return false;
  if (!segments.runId || !segments.asOf || !segments.segments.some((s) => s.id === `rule:${segmentId}`)) return true;
  const saved = readSaved()[segmentId];
  return saved !== undefined && countedAt(saved) > Date.parse(segments.asOf);
}

/**
 * A run watched here has finished. When it wrote the counts, their `asOf` is its own and awaitsRun
 * reads it there (an older run finishing later writes an older `asOf`, and the marks stay). When it
 * changed no count, the answer keeps the run before's id and time: the segments saved long enough
 * before it was requested are counted all the same.
 */
function countedBy(run: Run): void {
  if (run.totals?.segmentCountsWritten !== false) return;
  writeSaved(Object.fromEntries(Object.entries(readSaved()).filter(([, savedAt]) => countedAt(savedAt) > Date.parse(run.requestedAt))));
}

/** Milliseconds until a run requested now counts every segment saved here. */
const untilCountable = () => Math.max(0, ...Object.values(readSaved()).map(countedAt)) - Date.now();

export interface Counting {
  /** The run being watched, or the last one watched here (its status says how it ended). */
  run: Run | null;
  watching: boolean;
  starting: boolean;
  /** Seconds left before the run is requested (a save a moment ago has not reached every cache yet). */
  waiting: number;
  error: unknown;
  start(): Promise<void>;
}

/** Starts a run (POST /v1/runs) and watches it every second until it has finished; then `onFinished`. */
export function useCounting(onFinished: () => void): Counting {
  const { api } = useApp();
  const [runId, setRunId] = useState<string | null>(() => sessionStorage.getItem(WATCHED));
  const [run, setRun] = useState<Run | null>(null);
  const [starting, setStarting] = useState(false);
  const [waiting, setWaiting] = useState(0);
  const [error, setError] = useState<unknown>(null);
  const finished = useRef(onFinished);
  finished.current = onFinished;

  useEffect(() => {
    if (!runId) return;
    let cancelled = false;
    let timer: number | undefined;
    const stop = () => {
      sessionStorage.removeItem(WATCHED);
      setRunId(null);
    };
    const poll = async () => {
      try {
        const current = await api.get<Run>(`/v1/runs/${encodeURIComponent(runId)}`);
        if (cancelled) return;
        setRun(current);
        if (current.status !== 'succeeded' && current.status !== 'failed') {
          timer = window.setTimeout(poll, POLL_MS);
          return;
        }
        if (current.status === 'succeeded') countedBy(current);
        stop();
        finished.current();
      } catch (failure) {
        if (cancelled) return;
        setError(failure);
        stop();
      }
    };
    poll();
    return () => {
      cancelled = true;
      window.clearTimeout(timer);
    };
  }, [runId, api]);

  const start = async () => {
    setStarting(true);
    setError(null);
    try {
      for (let left = untilCountable(); left > 0; left = untilCountable()) {
        setWaiting(Math.ceil(left / 1000));
        await new Promise((done) => setTimeout(done, Math.min(left, 1000)));
      }
      setWaiting(0);
      const answer = await api.send<{ runId: string }>('POST', '/v1/runs');
      rememberRun(answer.runId);
      sessionStorage.setItem(WATCHED, answer.runId);
      setRun(null);
      setRunId(answer.runId);
    } catch (failure) {
      setError(failure);
    } finally {
      setStarting(false);
    }
  };

  return { run, watching: runId !== null, starting, waiting, error, start };
}

/** The button that counts now, or the watched run's progress; how the last one ended when it failed. */
export function CountNow({ counting }: { counting: Counting }) {
  const { t, fmt } = useApp();
  const { run, watching } = counting;
  const progress = run?.progress;
  return (
    <div class="segment-count-run">
      {watching ? (
        <div class="progress-block">
          <label>
            {t.segmentEditor.counting(run?.runId ?? sessionStorage.getItem(WATCHED) ?? '')}
            <progress max={1} value={progress?.shards ? progress.shardsDone / progress.shards : 0} />
          </label>
          <p class="muted">
            {run ? (t.runs.statuses[run.status] ?? run.status) : t.app.loading}
            {progress ? ` · ${t.runs.shards(fmt.number(progress.shardsDone), fmt.number(progress.shards))}` : ''}
          </p>
        </div>
      ) : (
        <button type="button" class="button-secondary" onClick={counting.start} disabled={counting.starting}>
          {counting.starting ? t.runs.starting : t.segmentEditor.countNow}
        </button>
      )}
      {counting.waiting > 0 && <p class="muted">{t.segmentEditor.waiting(fmt.number(counting.waiting))}</p>}
      {!watching && run?.status === 'failed' && <p class="field-error">{t.segmentEditor.runFailed(run.error ?? run.status)}</p>}
      {counting.error ? <ErrorNotice error={counting.error} /> : null}
    </div>
  );
}

/** A saved rule segment's count as of the last run, or "counted at the next run" with the button that counts now. */
export function SegmentCount({ segmentId, name }: { segmentId: string; name: string }) {
  const { api, t, fmt } = useApp();
  const segments = useResource(() => api.get<Segments>('/v1/segments'), []);
  const counting = useCounting(segments.reload);
  if (!segments.data) return segments.error ? <ErrorNotice error={segments.error} onRetry={segments.reload} /> : null;
  const segment = segments.data.segments.find((s) => s.id === `rule:${segmentId}`);
  const pending = !segment || awaitsRun(segmentId, segments.data);
  return (
    <div class="segment-count" aria-live="polite">
      {pending || !segment ? (
        <p>{t.segmentEditor.countPending(name)}</p>
      ) : (
        <p>
          <strong>{t.segmentEditor.counted(fmt.number(segment.customers))}</strong>{' '}
          <Link href={`/segments/${encodeURIComponent(segment.id)}`}>{t.segmentEditor.seeMembers}</Link>
        </p>
      )}
      {(pending || counting.watching) && <CountNow counting={counting} />}
    </div>
  );
}
