/** Notifications (issue 16): who is told, and telling them. Other parts enter through this file. */
export { checkChange, DEFAULT_PRACTICE, notificationFields, type NotificationChange, type NotificationSettings } from './model.js';
export { getNotificationSettings, listNotificationAudit, setNotificationSettings, type NotificationAuditEntry, type NotificationChangeResult } from './store.js';
export { renderNotification, type NotificationEvent, type NotificationKind } from './events.js';
export { signBody } from './deliver.js';
export {
  deliverNow,
  notify,
  notifyConnectionDisconnected,
  notifyConnectionExpiring,
  notifyRunClosed,
  notifyScheduleBlocked,
  notifyScheduleNotConnected,
  sendTestNotification,
  NOTIFY_MAX_ATTEMPTS,
  type ClosedRun,
  type DeliveryPayload,
  type NotifyCtx,
  type TestOutcome,
} from './send.js';
