// GET /task-definitions answers with the library's TaskInfo list.
import type { TaskInfo } from 'backplane';
import { apiClient, printJson, REMOTE_HELP, REMOTE_OPTIONS, type Command } from '../command.js';
import { table } from '../output.js';

const payloadOf = (task: TaskInfo): string =>
  task.payloadSchema ? 'schema' : task.validatesPayload ? 'validated' : 'any JSON';

export const tasks: Command = {
  name: 'jobs tasks',
  summary: 'List the tasks the service can enqueue, with their queue and defaults',
  usage: `Usage: backplane jobs tasks\n\nEach task's queue, default attempts, priority and time limit, and whether its payload is checked\n(--json adds the payload's JSON Schema where the task has one).\n\nOptions:\n${REMOTE_HELP}`,
  options: { ...REMOTE_OPTIONS },
  async run(args, io) {
    const answer = await apiClient(args, io.env).call<{ tasks: TaskInfo[] }>('GET', '/task-definitions');
    if (args.values.json) {
      printJson(io, answer);
      return 0;
    }
    if (answer.tasks.length === 0) {
      io.err.write('no task is defined in the service\n');
      return 0;
    }
    const rows = answer.tasks.map((task) => [
      task.name,
      task.queue,
      String(task.attempts),
      String(task.priority),
      task.timeoutMs === undefined ? '-' : `${task.timeoutMs / 1000}s`,
      payloadOf(task),
    ]);
    io.out.write(table(['name', 'queue', 'attempts', 'priority', 'timeout', 'payload'], rows));
    return 0;
  },
};
