export { buildApp, type App, type BuildAppOptions } from './app.js';
export { startServer, isLoopback, defineTasks, type RunningServer, type StartServerOptions } from './server.js';
export { defineDemoTasks } from './demo-tasks.js';
export { toErrorResponse, errorBody, type ErrorBody } from './http/errors.js';
export { main, registerCommand, type CommandGroup } from './cli/main.js';
