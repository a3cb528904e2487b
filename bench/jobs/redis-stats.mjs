// Reads the Redis figures the bench compares: commands processed, server CPU, per-command stats, memory.

/** Parses `INFO` text into a flat map of field -> string. */
export function parseInfo(text) {
  const fields = {};
  for (const line of text.split('\r\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.indexOf(':');
    if (at > 0) fields[line.slice(0, at)] = line.slice(at + 1);
  }
  return fields;
}

/** One snapshot. `commands` counts commands run inside Lua too (Redis 7). */
export async function snapshot(client) {
  const info = parseInfo(await client.info('all'));
  const commandStats = {};
  for (const [field, value] of Object.entries(info)) {
    if (!field.startsWith('cmdstat_')) continue;
    const calls = Number(/calls=(\d+)/.exec(value)?.[1] ?? 0);
    const usec = Number(/usec=(\d+)/.exec(value)?.[1] ?? 0);
    commandStats[field.slice('cmdstat_'.length)] = { calls, usec };
  }
  return {
    commands: Number(info.total_commands_processed),
    // Seconds of CPU the redis-server process used (main thread and background threads).
    cpuSeconds: Number(info.used_cpu_sys) + Number(info.used_cpu_user),
    usedMemory: Number(info.used_memory),
    commandStats,
  };
}

/** What happened between two snapshots. The INFO calls themselves add one command each; ignored. */
export function delta(before, after) {
  const commandStats = {};
  for (const [name, stat] of Object.entries(after.commandStats)) {
    const prior = before.commandStats[name] ?? { calls: 0, usec: 0 };
    const calls = stat.calls - prior.calls;
    if (calls > 0 && name !== 'info') commandStats[name] = { calls, usec: stat.usec - prior.usec };
  }
  return {
    commands: after.commands - before.commands - 1,
    cpuMicros: Math.round((after.cpuSeconds - before.cpuSeconds) * 1e6),
    usedMemory: after.usedMemory - before.usedMemory,
    commandStats,
  };
}
