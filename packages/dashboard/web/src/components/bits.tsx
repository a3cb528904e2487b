import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import type { JobProgress } from '../types.js';

export function StateBadge({ state }: { state: string }) {
  return <span class={`badge state-${state}`}>{state}</span>;
}

/** A progress bar screen readers announce (role=progressbar with its value). */
export function ProgressBar({
  progress,
  state,
  label,
}: {
  progress: JobProgress | null | undefined;
  state: string;
  label: string;
}) {
  const raw = state === 'completed' ? 100 : (progress?.percent ?? 0);
  const value = Math.max(0, Math.min(100, Math.round(raw)));
  return (
    <div class="progress-cell">
      <div
        class={`progress state-${state}`}
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={value}
        aria-valuetext={`${value}%${progress?.message ? `: ${progress.message}` : ''}`}
      >
        <div class="progress-fill" style={{ width: `${value}%` }} />
      </div>
      <span class="progress-text">
        {value}%{progress?.message ? ` · ${progress.message}` : ''}
      </span>
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p class="error-note" role="alert">
      {error instanceof Error ? error.message : typeof error === 'string' ? error : 'Something went wrong.'}
    </p>
  );
}

export function Card({ title, children, id }: { title: string; children: ComponentChildren; id?: string }) {
  return (
    <section class="card" aria-labelledby={id ?? undefined}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

/** A modal confirmation on the native <dialog>: focus is trapped and Escape cancels, for free. */
export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (props.open && !dialog.open) dialog.showModal();
    if (!props.open && dialog.open) dialog.close();
  }, [props.open]);
  return (
    <dialog ref={ref} aria-labelledby="confirm-title" onCancel={props.onCancel} onClose={props.onCancel}>
      <h2 id="confirm-title">{props.title}</h2>
      <div>{props.children}</div>
      <div class="actions">
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
        <button type="button" class="danger" onClick={props.onConfirm}>
          {props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
