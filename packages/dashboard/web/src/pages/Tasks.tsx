import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import { Card, Empty, ErrorNote } from '../components/bits.js';
import { count, json } from '../format.js';
import { runTask } from './job-actions.js';

/** GET /task-definitions: what the service can enqueue. */
interface TaskInfo {
  name: string;
  queue: string;
  attempts: number;
  priority: number;
  timeoutMs?: number;
  backoff?: { type: string; delayMs: number; jitter?: number };
  validatesPayload: boolean;
  payloadSchema?: Record<string, unknown>;
}

const seconds = (ms: number | undefined): string => (ms === undefined ? '—' : `${ms / 1000} s`);

/** One option of the run form; empty means the task's default. A `range` makes it a number field. */
function OptionField(props: {
  id: string;
  label: string;
  placeholder: string;
  value: string;
  onChange: (value: string) => void;
  range?: [number, number];
}) {
  const { id, label, placeholder, value, onChange, range } = props;
  const common = {
    placeholder,
    value,
    onInput: (event: { currentTarget: HTMLInputElement }) => onChange(event.currentTarget.value.trim()),
  };
  return (
    <div>
      <label for={id}>{label}</label>
      {range ? (
        <input id={id} type="number" min={range[0]} max={range[1]} {...common} />
      ) : (
        <input id={id} {...common} />
      )}
    </div>
  );
}

function RunForm({ task, onClose }: { task: TaskInfo; onClose: () => void }) {
  const [payload, setPayload] = useState('{}');
  const [delay, setDelay] = useState('');
  const [priority, setPriority] = useState('');
  const [attempts, setAttempts] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async () => {
    let data: unknown;
    try {
      data = JSON.parse(payload);
    } catch (caught) {
      setError(`The payload is not valid JSON: ${(caught as Error).message}`);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await runTask(task.name, data, { delay, priority, attempts });
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  };

  return (
    <Card title={`Run ${task.name}`} id="h-run">
      <form
        class="run-form"
        onSubmit={(event) => {
          event.preventDefault();
          void submit();
        }}
      >
        <label for="run-payload">Payload (JSON)</label>
        <textarea
          id="run-payload"
          autoFocus
          rows={8}
          spellcheck={false}
          value={payload}
          onInput={(event) => setPayload(event.currentTarget.value)}
        />
        <div class="run-options">
          <OptionField
            id="run-delay"
            label="Delay"
            placeholder="now, or 30s, 5m, 2h"
            value={delay}
            onChange={setDelay}
          />
          <OptionField
            id="run-priority"
            label="Priority"
            range={[0, 1000]}
            placeholder={String(task.priority)}
            value={priority}
            onChange={setPriority}
          />
          <OptionField
            id="run-attempts"
            label="Attempts"
            range={[1, 100]}
            placeholder={String(task.attempts)}
            value={attempts}
            onChange={setAttempts}
          />
        </div>
        <ErrorNote error={error} />
        <div class="actions">
          <button type="submit" disabled={busy}>
            Enqueue
          </button>
          <button type="button" onClick={onClose}>
            Close
          </button>
        </div>
      </form>
      {task.payloadSchema ? (
        <details>
          <summary>Payload schema</summary>
          <pre tabIndex={0}>{json(task.payloadSchema)}</pre>
        </details>
      ) : null}
    </Card>
  );
}

export function Tasks({ readOnly }: { readOnly: boolean }) {
  const [tasks, setTasks] = useState<TaskInfo[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [running, setRunning] = useState<TaskInfo | null>(null);

  useEffect(() => {
    api<{ tasks: TaskInfo[] }>('GET', '/task-definitions')
      .then((answer) => setTasks(answer.tasks))
      .catch((caught: unknown) => setError(caught));
  }, []);

  // Stacked, not side by side: the table keeps the page's width, and the form opens above it.
  return (
    <div class="stack">
      {running && !readOnly ? <RunForm key={running.name} task={running} onClose={() => setRunning(null)} /> : null}
      <Card title="Tasks" id="h-tasks">
        <p class="muted">The tasks this service can enqueue, with the defaults their jobs get.</p>
        {error instanceof ApiError && error.missing ? (
          <Empty>This service does not list its tasks yet.</Empty>
        ) : (
          <ErrorNote error={error} />
        )}
        {tasks === null ? null : tasks.length === 0 ? (
          <Empty>No task is defined in this service.</Empty>
        ) : (
          <div class="table-wrap">
            <table>
              <caption class="sr-only">Defined tasks</caption>
              <thead>
                <tr>
                  <th scope="col">Task</th>
                  <th scope="col">Queue</th>
                  <th scope="col" class="num">
                    Attempts
                  </th>
                  <th scope="col" class="num">
                    Priority
                  </th>
                  <th scope="col">Time limit</th>
                  <th scope="col">Payload</th>
                  {readOnly ? null : <th scope="col">Run</th>}
                </tr>
              </thead>
              <tbody>
                {tasks.map((task) => (
                  <tr key={task.name} data-task={task.name}>
                    <th scope="row">
                      <a href={`#/jobs?${new URLSearchParams({ queue: task.queue, name: task.name }).toString()}`}>
                        {task.name}
                      </a>
                    </th>
                    <td>{task.queue}</td>
                    <td class="num">{count(task.attempts)}</td>
                    <td class="num">{count(task.priority)}</td>
                    <td>{seconds(task.timeoutMs)}</td>
                    <td>{task.payloadSchema ? 'schema' : task.validatesPayload ? 'validated' : 'any JSON'}</td>
                    {readOnly ? null : (
                      <td>
                        <button type="button" onClick={() => setRunning(task)} aria-label={`Run ${task.name}`}>
                          Run…
                        </button>
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </div>
  );
}
