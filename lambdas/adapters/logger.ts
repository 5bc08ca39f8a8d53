import { Logger } from '@aws-lambda-powertools/logger';
import { API_SERVICE_NAME, ENV } from '../contract';

/**
 * Structured JSON logs. Keys that may appear: correlationId, orderId, service, eventType, eventId.
 * Never log e-mail, address or payment token: log ids and outcomes only.
 */
export const logger = new Logger({ serviceName: process.env[ENV.service] ?? process.env.POWERTOOLS_SERVICE_NAME ?? API_SERVICE_NAME });
