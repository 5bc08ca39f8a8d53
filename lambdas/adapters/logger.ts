import { Logger } from '@aws-lambda-powertools/logger';

/**
 * Structured JSON logs. Keys that may appear: correlationId, orderId, service, eventType, eventId.
 * Never log e-mail, address or payment token: log ids and outcomes only.
 */
export const logger = new Logger({ serviceName: process.env.SERVICE_NAME ?? process.env.POWERTOOLS_SERVICE_NAME ?? 'orders-api' });

export interface LogKeys {
  correlationId?: string;
  orderId?: string;
  eventType?: string;
  eventId?: string;
  [key: string]: unknown;
}
