/**
 * The built-in event catalog: each type's JSON Schema for `data`, its category and description.
 * Schemas name the fields consumers rely on and leave room for more (additionalProperties).
 */
export interface BuiltInType {
  type: string;
  category: string;
  description: string;
  schema: Record<string, unknown>;
  /**
   * Data fields that identify the entity the event is about; ingest sets the CloudEvents
   * `subject` to `<entity>/<values…>` when the sender did not, and consumers order by it.
   */
  subject?: { entity: string; fields: string[] };
}

type Props = Record<string, Record<string, unknown>>;
const str = { type: 'string', minLength: 1 };
const optStr = { type: 'string' };
const num = { type: 'number' };
const int = { type: 'integer', minimum: 0 };
const obj = (required: string[], properties: Props) => ({ type: 'object', required, properties, additionalProperties: true });

const def = (type: string, category: string, description: string, schema: Record<string, unknown>, subject?: BuiltInType['subject']): BuiltInType =>
  ({ type, category, description, schema, ...(subject ? { subject } : {}) });
const about = (entity: string, ...fields: string[]) => ({ entity, fields });

export const BUILT_IN_TYPES: readonly BuiltInType[] = [
  // usage / learning
  def('query.executed', 'usage', 'A user ran a query against a knowledge source', obj(['query'], { query: str, resultCount: int, latencyMs: num, collection: optStr })),
  def('document.uploaded', 'usage', 'A user uploaded a document', obj(['documentId'], { documentId: str, title: optStr, mimeType: optStr, sizeBytes: int, collection: optStr })),
  // Recorded for rejected calls too (then with their status and without results): nothing is required.
  def('search.performed', 'usage', 'A search was run (recorded automatically by /v1/search)', obj([], { query: optStr, collections: { type: 'array', items: optStr }, resultIds: { type: 'array', items: optStr }, latencyMs: num, mode: optStr, status: int })),
  def('answer.generated', 'usage', 'An answer was generated (recorded automatically by /v1/answer)', obj([], { query: optStr, citations: { type: 'array' }, latencyMs: num, generator: optStr, degraded: { type: 'boolean' }, status: int })),
  def('page.viewed', 'usage', 'A page was viewed (Segment `page` maps here)', obj([], { name: optStr, url: optStr, path: optStr, referrer: optStr, title: optStr })),
  def('screen.viewed', 'usage', 'An app screen was viewed (Segment `screen` maps here)', obj([], { name: optStr })),
  def('api.called', 'usage', 'An API call recorded by automatic tracking', obj(['route', 'status'], { route: str, method: optStr, status: int, latencyMs: num })),
  // inventory
  def('article.created', 'inventory', 'An article was added to the inventory', obj(['articleId', 'name'], { articleId: str, name: str, description: optStr, category: optStr, price: num, stock: int }), about('article', 'articleId')),
  def('article.updated', 'inventory', 'An article changed', obj(['articleId'], { articleId: str, name: optStr, description: optStr, category: optStr, price: num }), about('article', 'articleId')),
  def('article.deleted', 'inventory', 'An article was removed', obj(['articleId'], { articleId: str }), about('article', 'articleId')),
  def('stock.updated', 'inventory', 'Stock level of an article changed', obj(['articleId', 'quantity'], { articleId: str, quantity: { type: 'integer' }, warehouse: optStr }), about('article', 'articleId')),
  def('stock.low_detected', 'inventory', 'Stock fell below its threshold', obj(['articleId', 'quantity'], { articleId: str, quantity: { type: 'integer' }, threshold: { type: 'integer' } }), about('article', 'articleId')),
  // sales
  def('order.placed', 'sales', 'A customer placed an order', obj(['orderId'], { orderId: str, customerId: optStr, total: num, currency: optStr, items: { type: 'array' } }), about('order', 'orderId')),
  def('order.cancelled', 'sales', 'An order was cancelled', obj(['orderId'], { orderId: str, reason: optStr }), about('order', 'orderId')),
  // CRM
  def('customer.created', 'crm', 'A customer record was created', obj(['customerId', 'name'], { customerId: str, name: str, email: optStr, company: optStr, notes: optStr }), about('customer', 'customerId')),
  def('lead.created', 'crm', 'A lead was created', obj(['leadId'], { leadId: str, name: optStr, source: optStr, status: optStr }), about('lead', 'leadId')),
  def('lead.converted', 'crm', 'A lead became a customer', obj(['leadId'], { leadId: str, customerId: optStr, value: num }), about('lead', 'leadId')),
  def('lead.status_changed', 'crm', 'A lead moved to another status', obj(['leadId', 'status'], { leadId: str, status: str, previousStatus: optStr }), about('lead', 'leadId')),
  // finance
  def('journal_entry.posted', 'finance', 'A journal entry was posted', obj(['entryId', 'amount'], { entryId: str, amount: num, currency: optStr, account: optStr, description: optStr }), about('journal_entry', 'entryId')),
  def('account_balance.changed', 'finance', 'An account balance changed', obj(['accountId', 'balance'], { accountId: str, balance: num, previousBalance: num, currency: optStr }), about('account', 'accountId')),
  // messaging
  def('message.sent', 'messaging', 'A message was sent (chat, email, notification)', obj(['channel'], { channel: str, messageId: optStr, chatId: optStr, to: optStr, text: optStr })),
  // memory (src/memory): written by /v1/memory routes; the bounds are those routes' (memory.schemas.ts)
  def('chat.created', 'messaging', 'A chat was started (its id is this event\'s id)', obj([], { title: { type: 'string', maxLength: 200 } })),
  def('chat.updated', 'messaging', 'A chat was renamed', obj(['chatId'], { chatId: str, title: { type: ['string', 'null'], maxLength: 200 } }), about('chat', 'chatId')),
  def('chat.deleted', 'messaging', 'A chat and its messages were deleted', obj(['chatId'], { chatId: str }), about('chat', 'chatId')),
  def('message.created', 'messaging', 'A message was added to a chat (its id is this event\'s id)', obj(['chatId', 'role', 'content'], {
    chatId: str, role: { enum: ['user', 'assistant', 'system', 'tool'] }, content: { type: 'string', minLength: 1, maxLength: 32_000 }, metadata: { type: 'object', maxProperties: 32 },
  }), about('chat', 'chatId')),
  def('sequence.step_executed', 'messaging', 'A step of an outreach sequence ran', obj(['sequenceId', 'step'], { sequenceId: str, step: { type: 'integer' }, contactId: optStr }), about('sequence', 'sequenceId')),
  def('autopilot.action_executed', 'messaging', 'An autopilot executed an action', obj(['action'], { action: str, target: optStr, result: optStr })),
  // workflows
  def('workflow.started', 'workflow', 'A workflow run started', obj(['workflowId', 'runId'], { workflowId: str, runId: str }), about('workflow_run', 'runId')),
  def('workflow.approval_requested', 'workflow', 'A workflow run waits for a human decision', obj(['runId'], { runId: str, step: optStr, prompt: optStr }), about('workflow_run', 'runId')),
  def('workflow.approved', 'workflow', 'A human approved a waiting run', obj(['runId'], { runId: str, comment: optStr }), about('workflow_run', 'runId')),
  def('workflow.rejected', 'workflow', 'A human rejected a waiting run', obj(['runId'], { runId: str, comment: optStr }), about('workflow_run', 'runId')),
  def('workflow.completed', 'workflow', 'A workflow run finished', obj(['runId'], { runId: str, status: optStr }), about('workflow_run', 'runId')),
  def('workflow.failed', 'workflow', 'A workflow run failed', obj(['runId'], { runId: str, error: optStr }), about('workflow_run', 'runId')),
  // documents through the API (the indexer consumes these)
  def('document.upserted', 'documents', 'A document was written to a collection through the API', obj(['collection', 'documentId'], { collection: str, documentId: str, fields: { type: 'object' } }), about('document', 'collection', 'documentId')),
  def('document.deleted', 'documents', 'A document was deleted from a collection through the API', obj(['collection', 'documentId'], { collection: str, documentId: str }), about('document', 'collection', 'documentId')),
  // identity (Segment identify / group / alias)
  def('user.identified', 'identity', 'A user was identified, with traits (Segment `identify`)', obj([], { traits: { type: 'object' }, anonymousId: optStr })),
  def('user.grouped', 'identity', 'A user joined a group or account (Segment `group`)', obj(['groupId'], { groupId: str, traits: { type: 'object' } })),
  def('user.aliased', 'identity', 'Two user ids were linked (Segment `alias`)', obj(['previousId'], { previousId: str })),
];

export const BUILT_IN_BY_TYPE: ReadonlyMap<string, BuiltInType> = new Map(BUILT_IN_TYPES.map((t) => [t.type, t]));

/** Event type names: lowercase, dot-separated words. */
export const EVENT_TYPE_PATTERN = '^[a-z0-9][a-z0-9_-]*(\\.[a-z0-9][a-z0-9_-]*)*$';
export const EVENT_TYPE_REGEX = new RegExp(EVENT_TYPE_PATTERN);
