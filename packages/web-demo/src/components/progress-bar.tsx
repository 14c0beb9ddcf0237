import type { JobProgress } from '@herald/client-sdk';
import { type ReactNode, useId } from 'react';
import { describeProgress } from '../format.ts';

const percentFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

/**
 * One bar for the whole life of an upload: upload bytes first, then processed rows with their
 * rate and ETA. The SDK's `percent` is the current phase's progress, so the bar restarts when
 * processing begins and the label says which phase it shows.
 */
export function ProgressBar({ progress }: { readonly progress: JobProgress }): ReactNode {
  const titleId = useId();
  const { title, detail } = describeProgress(progress);
  const percent = Math.max(0, Math.min(100, progress.percent));
  return (
    <div className="progress" data-testid="upload-progress" data-phase={progress.phase}>
      <div className="progress-head">
        <span id={titleId} className="progress-title">
          {title}
        </span>
        <span className="num" data-testid="upload-percent">
          {percentFormat.format(percent)} %
        </span>
      </div>
      <div
        className="bar"
        role="progressbar"
        aria-labelledby={titleId}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-valuetext={`${title}: ${percentFormat.format(percent)} %, ${detail}`}
      >
        <div className="fill" style={{ width: `${percent}%` }} />
      </div>
      <p className="progress-detail muted" data-testid="upload-detail">
        {detail}
      </p>
    </div>
  );
}
