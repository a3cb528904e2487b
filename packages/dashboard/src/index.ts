export { dashboardPlugin } from './plugin.js';
export type { DashboardOptions, DashboardUpstream } from './options.js';
export { DASHBOARD_ERRORS, type DashboardErrorCode } from './errors.js';
export { INTERNAL_REQUEST_HEADER, isDashboardInternalRequest } from './upstream.js';
export type { HistoryPoint } from './history.js';
export type { OverviewSnapshot } from './live.js';
