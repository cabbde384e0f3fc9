/** The firm overview (issue 15): other parts enter through this file. */
export { attentionOf, firmOverview, overviewSorts, sortOverview, type OverviewRow, type OverviewSort } from './firm.js';
export { countPlan, readStatus, refreshCompanyStatus, type CompanyStatus } from './status.js';
