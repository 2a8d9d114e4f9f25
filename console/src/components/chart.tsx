import type * as PlotModule from '@observablehq/plot';
import { useEffect, useRef, useState } from 'preact/hooks';
import { useApp } from '../app-context.ts';

export type Plot = typeof PlotModule;

/**
 * A chart drawn by Observable Plot, which (with d3) is loaded on the first chart a page shows and
 * not with the app: the initial load stays small (console/size.ts). Redrawn at the width it has.
 * Every chart sits beside a table of the same numbers, so nothing is only in the picture.
 */
export function Chart<D>({
  title,
  data,
  draw,
  captionHidden = false,
}: {
  title: string;
  data: D;
  draw: (plot: Plot, data: D, width: number) => SVGSVGElement | HTMLElement;
  /** When the section's heading already says what the chart is. */
  captionHidden?: boolean;
}) {
  const { t } = useApp();
  const box = useRef<HTMLDivElement>(null);
  // The drawing follows the data; a new closure each render must not draw again.
  const drawing = useRef(draw);
  drawing.current = draw;
  const [state, setState] = useState<'loading' | 'drawn' | 'failed'>('loading');
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    let plot: Plot | undefined;
    let width = 0;
    let cancelled = false;
    const paint = () => {
      if (!plot || cancelled) return;
      const next = Math.max(280, Math.floor(element.clientWidth));
      if (next === width) return;
      width = next;
      try {
        const figure = drawing.current(plot, data, width);
        figure.setAttribute('aria-label', title);
        element.replaceChildren(figure);
        setState('drawn');
      } catch {
        setState('failed');
      }
    };
    import('@observablehq/plot').then(
      (module) => {
        plot = module;
        paint();
      },
      () => !cancelled && setState('failed'),
    );
    const observer = new ResizeObserver(() => paint());
    observer.observe(element);
    return () => {
      cancelled = true;
      observer.disconnect();
    };
  }, [data, title]);
  return (
    <figure class="chart">
      <figcaption class={captionHidden ? 'visually-hidden' : undefined}>{title}</figcaption>
      <div ref={box} class="chart-box" />
      {state === 'loading' && <p class="muted">{t.app.chartLoading}</p>}
      {state === 'failed' && <p class="field-error">{t.app.chartFailed}</p>}
    </figure>
  );
}
