/**
 * Cron jobs that do not fire while a test runs. The defaults (`*\/5`, `7 *`, `*\/10`) do: a
 * test started at 12:05:00 gets a scheduled pass on top of the start-up one, which broke an
 * exact run count in CI. Tests that start the controller with the live source enqueue the jobs
 * they want themselves; the schedule is tested on its own.
 */
export const QUIET_SCHEDULE_ENV: Readonly<Record<string, string>> = {
  // midnight of 1 January, local time of the machine: never during a test run in practice
  FITBIT_BRIDGE_SCHEDULE__RECENT: '0 0 1 1 *',
  FITBIT_BRIDGE_SCHEDULE__DAILY: '0 0 1 1 *',
  FITBIT_BRIDGE_SCHEDULE__BACKFILL: '0 0 1 1 *',
};
