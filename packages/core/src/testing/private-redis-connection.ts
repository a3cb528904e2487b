import { after, before } from 'node:test';
import { RedisConnection } from '../redis/connection.js';
import { startRedisServer, type RedisServerHandle, type RedisServerOptions } from './redis-server.js';

/**
 * For the tests of one `describe`: a private redis-server and a connection to it, made before the
 * tests and closed after them. `use` receives both once they are up (the tests keep them in `let`s).
 */
export function privateRedisConnection(
  use: (connection: RedisConnection, server: RedisServerHandle) => void,
  options: RedisServerOptions = {},
): void {
  let server: RedisServerHandle | undefined;
  let connection: RedisConnection | undefined;
  before(async () => {
    server = await startRedisServer(options);
    connection = new RedisConnection({ name: 'jobs', url: server.url });
    await connection.connect();
    await connection.waitUntilUp();
    use(connection, server);
  });
  after(async () => {
    await connection?.close();
    await server?.stop();
  });
}
