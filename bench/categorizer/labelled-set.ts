/**
 * The categorizer's labelled set: events of every built-in catalog type with realistic English
 * and German data, each with the intent a person reading it would give (one of the default
 * labels, src/categorizer/defaults.ts). Written from the catalog and everyday application
 * traffic, not from the classifier's output: the types whose meaning depends on their data
 * (queries, searches, answers, pages, screens, API calls, messages, autopilot actions) get more
 * events with mixed intents, the others a few each.
 */

export interface LabelledEvent {
  type: string;
  data: Record<string, unknown>;
  lang: 'en' | 'de';
  expected: string;
}

const e = (type: string, lang: 'en' | 'de', expected: string, data: Record<string, unknown>): LabelledEvent => ({ type, data, lang, expected });

export const LABELLED_SET: readonly LabelledEvent[] = [
  // query.executed: the query says what the person wants
  e('query.executed', 'en', 'search', { query: 'what is the maximum torque of the DCD796 drill', resultCount: 4 }),
  e('query.executed', 'en', 'support', { query: 'my cordless drill battery does not charge anymore, what can I do', resultCount: 2 }),
  e('query.executed', 'en', 'cancellation', { query: 'how do I return an item and get a refund', resultCount: 3 }),
  e('query.executed', 'en', 'purchase', { query: 'buy 18V impact driver cheapest price', resultCount: 7 }),
  e('query.executed', 'en', 'account', { query: 'how to change my password and email in my profile', resultCount: 1 }),
  e('query.executed', 'en', 'finance', { query: 'where can I download my invoice for last month', resultCount: 2 }),
  e('query.executed', 'de', 'search', { query: 'Unterschied zwischen Schlagbohrmaschine und Bohrhammer', resultCount: 5 }),
  e('query.executed', 'de', 'support', { query: 'Fehlermeldung beim Login, die App funktioniert nicht', resultCount: 0 }),
  e('query.executed', 'de', 'cancellation', { query: 'Bestellung stornieren und Geld zurück', resultCount: 2 }),
  e('query.executed', 'de', 'purchase', { query: 'Akkuschrauber kaufen Angebot', resultCount: 9 }),
  e('query.executed', 'de', 'search', { query: 'Urlaubsregelung für Mitarbeiter nachschlagen', resultCount: 3, collection: 'policies' }),
  e('query.executed', 'de', 'finance', { query: 'Rechnung vom März als PDF', resultCount: 1 }),
  // search.performed (recorded by /v1/search)
  e('search.performed', 'en', 'search', { query: 'hex bolts m8 zinc plated', collections: ['articles'], mode: 'hybrid', status: 200 }),
  e('search.performed', 'en', 'search', { query: 'vacation policy employees', collections: ['policies'], mode: 'lexical', status: 200 }),
  e('search.performed', 'en', 'support', { query: 'warranty claim broken angle grinder', collections: ['policies'], status: 200 }),
  e('search.performed', 'en', 'purchase', { query: 'order safety gloves size 10 in bulk', collections: ['articles'], status: 200 }),
  e('search.performed', 'de', 'search', { query: 'Schrauben Edelstahl A2', collections: ['articles'], mode: 'hybrid', status: 200 }),
  e('search.performed', 'de', 'search', { query: 'Datenschutz Kundendaten Richtlinie', collections: ['policies'], status: 200 }),
  e('search.performed', 'de', 'cancellation', { query: 'Rücksendung Frist Erstattung', collections: ['policies'], status: 200 }),
  e('search.performed', 'de', 'purchase', { query: 'Werkzeugkoffer bestellen günstig', collections: ['articles'], status: 200 }),
  // answer.generated (recorded by /v1/answer)
  e('answer.generated', 'en', 'support', { query: 'Why is my order still not delivered after two weeks?', generator: 'extractive', status: 200 }),
  e('answer.generated', 'en', 'search', { query: 'How many vacation days do employees get?', generator: 'openai', status: 200 }),
  e('answer.generated', 'en', 'cancellation', { query: 'Can I cancel my order after it has shipped?', generator: 'openai', status: 200 }),
  e('answer.generated', 'de', 'support', { query: 'Was tun, wenn das Gerät kaputt geliefert wurde?', generator: 'extractive', status: 200 }),
  e('answer.generated', 'de', 'search', { query: 'Welche Zahlungsziele gelten für Geschäftskunden?', generator: 'extractive', status: 200 }),
  e('answer.generated', 'de', 'finance', { query: 'Wie buche ich eine Gutschrift im Hauptbuch?', generator: 'openai', status: 200 }),
  // page.viewed: the page says it
  e('page.viewed', 'en', 'browse', { path: '/products/power-tools', title: 'Power tools – all products', url: 'https://shop.example.com/products/power-tools' }),
  e('page.viewed', 'en', 'browse', { path: '/', title: 'Welcome to our shop', url: 'https://shop.example.com/' }),
  e('page.viewed', 'en', 'purchase', { path: '/checkout/payment', title: 'Checkout – pay your order', url: 'https://shop.example.com/checkout/payment' }),
  e('page.viewed', 'en', 'purchase', { path: '/cart', title: 'Your shopping cart', url: 'https://shop.example.com/cart' }),
  e('page.viewed', 'en', 'support', { path: '/help/contact', title: 'Contact customer service', url: 'https://shop.example.com/help/contact' }),
  e('page.viewed', 'en', 'account', { path: '/account/settings', title: 'Account settings and password', url: 'https://shop.example.com/account/settings' }),
  e('page.viewed', 'en', 'cancellation', { path: '/orders/returns', title: 'Return an item', url: 'https://shop.example.com/orders/returns' }),
  e('page.viewed', 'de', 'browse', { path: '/kategorie/gartengeraete', title: 'Gartengeräte im Überblick', url: 'https://shop.example.de/kategorie/gartengeraete' }),
  e('page.viewed', 'de', 'purchase', { path: '/kasse', title: 'Kasse – jetzt bezahlen', url: 'https://shop.example.de/kasse' }),
  e('page.viewed', 'de', 'support', { path: '/hilfe/faq', title: 'Hilfe und häufige Fragen', url: 'https://shop.example.de/hilfe/faq' }),
  e('page.viewed', 'de', 'account', { path: '/konto/anmelden', title: 'Anmelden oder registrieren', url: 'https://shop.example.de/konto/anmelden' }),
  e('page.viewed', 'de', 'cancellation', { path: '/bestellungen/widerruf', title: 'Widerruf und Rückgabe', url: 'https://shop.example.de/bestellungen/widerruf' }),
  e('page.viewed', 'de', 'browse', { path: '/magazin/heimwerken-tipps', title: 'Magazin: Tipps zum Heimwerken', url: 'https://shop.example.de/magazin/heimwerken-tipps' }),
  // screen.viewed (mobile apps)
  e('screen.viewed', 'en', 'browse', { name: 'Product list' }),
  e('screen.viewed', 'en', 'purchase', { name: 'Checkout' }),
  e('screen.viewed', 'en', 'account', { name: 'Profile settings' }),
  e('screen.viewed', 'en', 'support', { name: 'Help center chat' }),
  e('screen.viewed', 'de', 'browse', { name: 'Startseite' }),
  e('screen.viewed', 'de', 'purchase', { name: 'Warenkorb' }),
  e('screen.viewed', 'de', 'account', { name: 'Mein Konto' }),
  e('screen.viewed', 'de', 'finance', { name: 'Rechnungen und Zahlungen' }),
  // api.called (automatic tracking)
  e('api.called', 'en', 'search', { route: '/v1/search', method: 'POST', status: 200, latencyMs: 12 }),
  e('api.called', 'en', 'search', { route: '/v1/answer', method: 'POST', status: 200, latencyMs: 240 }),
  e('api.called', 'en', 'content-creation', { route: '/v1/collections/:name/documents/:id', method: 'PUT', status: 202, latencyMs: 8 }),
  e('api.called', 'en', 'content-creation', { route: '/v1/collections/:name/files', method: 'POST', status: 202, latencyMs: 310 }),
  e('api.called', 'en', 'account', { route: '/v1/users/:userId/profile', method: 'GET', status: 200, latencyMs: 3 }),
  // message.sent: what the message is about
  e('message.sent', 'en', 'communication', { channel: 'email', text: 'Our spring newsletter: new garden tools and events near you' }),
  e('message.sent', 'en', 'communication', { channel: 'chat', text: 'Thanks, see you at the meeting tomorrow!' }),
  e('message.sent', 'en', 'support', { channel: 'chat', text: 'Hi, the app crashes every time I open my orders, can you help?' }),
  e('message.sent', 'en', 'cancellation', { channel: 'email', text: 'Please cancel my order and refund the payment' }),
  e('message.sent', 'en', 'purchase', { channel: 'chat', text: 'I would like to order 20 boxes of screws, what is the price?' }),
  e('message.sent', 'de', 'communication', { channel: 'email', text: 'Einladung zum Kundenabend am Freitag, wir freuen uns auf Sie' }),
  e('message.sent', 'de', 'support', { channel: 'chat', text: 'Hallo, mein Passwort-Reset funktioniert nicht, bitte um Hilfe' }),
  e('message.sent', 'de', 'cancellation', { channel: 'email', text: 'Ich möchte meinen Vertrag kündigen und die Rücksendung veranlassen' }),
  e('message.sent', 'de', 'communication', { channel: 'notification', text: 'Ihre Nachricht wurde beantwortet' }),
  e('message.sent', 'de', 'purchase', { channel: 'chat', text: 'Ich möchte den Bohrhammer kaufen, ist er auf Lager?' }),
  // chats with the assistant (memory): managing a chat, and what a person writes in it
  e('chat.created', 'en', 'communication', { title: 'New conversation' }),
  e('chat.created', 'de', 'communication', { title: 'Neuer Chat' }),
  e('chat.updated', 'en', 'communication', { chatId: 'c-1', title: 'Questions about the drill' }),
  e('chat.updated', 'de', 'communication', { chatId: 'c-2', title: 'Fragen zur Lieferung' }),
  e('chat.deleted', 'en', 'communication', { chatId: 'c-3' }),
  e('chat.deleted', 'de', 'communication', { chatId: 'c-4' }),
  e('message.created', 'en', 'support', { chatId: 'c-1', role: 'user', content: 'The drill stopped working after a week, what should I do?' }),
  e('message.created', 'en', 'search', { chatId: 'c-1', role: 'user', content: 'Which of your drills is the lightest?' }),
  e('message.created', 'en', 'purchase', { chatId: 'c-5', role: 'user', content: 'I want to buy two of them, can you add them to my cart?' }),
  e('message.created', 'de', 'cancellation', { chatId: 'c-2', role: 'user', content: 'Ich möchte die Bestellung zurückschicken und mein Geld zurück' }),
  e('message.created', 'de', 'search', { chatId: 'c-2', role: 'user', content: 'Wie lange dauert die Lieferung nach Österreich?' }),
  e('message.created', 'de', 'account', { chatId: 'c-6', role: 'user', content: 'Wie ändere ich meine E-Mail-Adresse im Konto?' }),
  // autopilot.action_executed: the action says it
  e('autopilot.action_executed', 'en', 'communication', { action: 'send follow-up email to contact', result: 'sent' }),
  e('autopilot.action_executed', 'en', 'inventory', { action: 'reorder stock from supplier', target: 'article A-1001', result: 'ordered' }),
  e('autopilot.action_executed', 'en', 'finance', { action: 'create invoice for completed order', result: 'created' }),
  e('autopilot.action_executed', 'de', 'communication', { action: 'Erinnerung per E-Mail senden', result: 'gesendet' }),
  e('autopilot.action_executed', 'de', 'sales', { action: 'Lead qualifizieren und Angebot vorbereiten', result: 'erledigt' }),
  // inventory
  e('article.created', 'en', 'inventory', { articleId: 'A-2001', name: 'Cordless drill 18V', description: 'Two batteries, charger and case', category: 'power tools', price: 129, stock: 40 }),
  e('article.created', 'de', 'inventory', { articleId: 'A-2002', name: 'Sechskantschraube M8 × 40', description: 'Verzinkt, 100 Stück', category: 'Schrauben', price: 7.9, stock: 800 }),
  e('article.created', 'de', 'inventory', { articleId: 'A-2003', name: 'Arbeitshandschuhe Größe 10', category: 'Arbeitsschutz', price: 4.5, stock: 120 }),
  e('article.updated', 'en', 'inventory', { articleId: 'A-2001', price: 119, description: 'Now with a longer warranty' }),
  e('article.updated', 'de', 'inventory', { articleId: 'A-2002', name: 'Sechskantschraube M8 × 40 (A2 Edelstahl)' }),
  e('article.updated', 'en', 'inventory', { articleId: 'A-2003', category: 'safety equipment' }),
  e('article.deleted', 'en', 'inventory', { articleId: 'A-1999' }),
  e('article.deleted', 'de', 'inventory', { articleId: 'A-1998' }),
  e('stock.updated', 'en', 'inventory', { articleId: 'A-2001', quantity: 35, warehouse: 'Main warehouse' }),
  e('stock.updated', 'de', 'inventory', { articleId: 'A-2002', quantity: 760, warehouse: 'Lager Nord' }),
  e('stock.updated', 'de', 'inventory', { articleId: 'A-2003', quantity: 0, warehouse: 'Außenlager' }),
  e('stock.low_detected', 'en', 'inventory', { articleId: 'A-2001', quantity: 3, threshold: 5 }),
  e('stock.low_detected', 'de', 'inventory', { articleId: 'A-2003', quantity: 2, threshold: 20 }),
  // sales
  e('order.placed', 'en', 'purchase', { orderId: 'O-5001', customerId: 'C-1', total: 249.9, currency: 'EUR', items: [{ articleId: 'A-2001', name: 'Cordless drill 18V', quantity: 2 }] }),
  e('order.placed', 'de', 'purchase', { orderId: 'O-5002', customerId: 'C-2', total: 39.5, currency: 'EUR', items: [{ articleId: 'A-2002', name: 'Sechskantschraube M8', quantity: 5 }] }),
  e('order.placed', 'en', 'purchase', { orderId: 'O-5003', total: 12, currency: 'USD', items: [] }),
  e('order.placed', 'de', 'purchase', { orderId: 'O-5004', customerId: 'C-7', total: 1200, currency: 'EUR' }),
  e('order.cancelled', 'en', 'cancellation', { orderId: 'O-5001', reason: 'Customer found a cheaper offer' }),
  e('order.cancelled', 'de', 'cancellation', { orderId: 'O-5002', reason: 'Lieferzeit zu lang' }),
  e('order.cancelled', 'en', 'cancellation', { orderId: 'O-5003' }),
  e('order.cancelled', 'de', 'cancellation', { orderId: 'O-5004', reason: 'Doppelt bestellt' }),
  // CRM
  e('customer.created', 'en', 'sales', { customerId: 'C-10', name: 'Miller Construction Ltd', email: 'office@miller.example', company: 'Miller Construction' }),
  e('customer.created', 'de', 'sales', { customerId: 'C-11', name: 'Schmidt Haustechnik GmbH', company: 'Schmidt Haustechnik', notes: 'Großkunde, Zahlungsziel 30 Tage' }),
  e('customer.created', 'en', 'sales', { customerId: 'C-12', name: 'Jane Doe', notes: 'Met at the trade fair' }),
  e('lead.created', 'en', 'sales', { leadId: 'L-1', name: 'Acme Facility Services', source: 'website form', status: 'new' }),
  e('lead.created', 'de', 'sales', { leadId: 'L-2', name: 'Bäckerei Huber', source: 'Messe', status: 'neu' }),
  e('lead.converted', 'en', 'sales', { leadId: 'L-1', customerId: 'C-13', value: 5400 }),
  e('lead.converted', 'de', 'sales', { leadId: 'L-2', customerId: 'C-14', value: 800 }),
  e('lead.status_changed', 'en', 'sales', { leadId: 'L-3', status: 'qualified', previousStatus: 'contacted' }),
  e('lead.status_changed', 'de', 'sales', { leadId: 'L-4', status: 'Angebot gesendet', previousStatus: 'qualifiziert' }),
  // finance
  e('journal_entry.posted', 'en', 'finance', { entryId: 'J-1', amount: 1200, currency: 'EUR', account: '8400 revenue', description: 'Invoice 2026-118 for order O-5004' }),
  e('journal_entry.posted', 'de', 'finance', { entryId: 'J-2', amount: -45.2, currency: 'EUR', account: '4930 Bürobedarf', description: 'Kauf von Druckerpapier' }),
  e('journal_entry.posted', 'de', 'finance', { entryId: 'J-3', amount: 3000, account: '1200 Bank', description: 'Zahlungseingang Kunde Schmidt' }),
  e('account_balance.changed', 'en', 'finance', { accountId: 'ACC-1', balance: 15230.5, previousBalance: 14030.5, currency: 'EUR' }),
  e('account_balance.changed', 'de', 'finance', { accountId: 'ACC-2', balance: -200, previousBalance: 100, currency: 'EUR' }),
  // messaging
  e('sequence.step_executed', 'en', 'communication', { sequenceId: 'onboarding-emails', step: 2, contactId: 'C-10' }),
  e('sequence.step_executed', 'de', 'communication', { sequenceId: 'reaktivierung-newsletter', step: 1, contactId: 'C-11' }),
  e('sequence.step_executed', 'en', 'communication', { sequenceId: 'outreach-trade-fair', step: 3 }),
  // workflows
  e('workflow.started', 'en', 'approval', { workflowId: 'discount-approval', runId: 'R-1' }),
  e('workflow.started', 'de', 'approval', { workflowId: 'urlaubsantrag', runId: 'R-2' }),
  e('workflow.approval_requested', 'en', 'approval', { runId: 'R-1', step: 'manager review', prompt: 'Approve a 15% discount for Miller Construction?' }),
  e('workflow.approval_requested', 'de', 'approval', { runId: 'R-2', step: 'Freigabe', prompt: 'Urlaubsantrag vom 3. bis 14. August genehmigen?' }),
  e('workflow.approved', 'en', 'approval', { runId: 'R-1', comment: 'ok, good customer' }),
  e('workflow.approved', 'de', 'approval', { runId: 'R-2', comment: 'Genehmigt' }),
  e('workflow.rejected', 'en', 'approval', { runId: 'R-3', comment: 'Budget exceeded' }),
  e('workflow.rejected', 'de', 'approval', { runId: 'R-4', comment: 'Bitte Begründung nachreichen' }),
  e('workflow.completed', 'en', 'approval', { runId: 'R-1', status: 'succeeded' }),
  e('workflow.completed', 'de', 'approval', { runId: 'R-2', status: 'abgeschlossen' }),
  e('workflow.failed', 'en', 'approval', { runId: 'R-5', error: 'timeout waiting for approval' }),
  e('workflow.failed', 'de', 'approval', { runId: 'R-6', error: 'Zeitüberschreitung bei der Freigabe' }),
  // documents
  e('document.uploaded', 'en', 'content-creation', { documentId: 'D-1', title: 'Quarterly report Q3', mimeType: 'application/pdf', sizeBytes: 230000 }),
  e('document.uploaded', 'de', 'content-creation', { documentId: 'D-2', title: 'Betriebsanleitung Bohrhammer', mimeType: 'application/pdf', sizeBytes: 1800000 }),
  e('document.uploaded', 'en', 'content-creation', { documentId: 'D-3', title: 'Meeting notes product launch', mimeType: 'text/markdown', sizeBytes: 4200 }),
  e('document.upserted', 'en', 'content-creation', { collection: 'policies', documentId: 'returns', fields: { title: 'Returns and refunds', body: 'Items can be returned within 30 days.' } }),
  e('document.upserted', 'de', 'content-creation', { collection: 'policies', documentId: 'urlaub', fields: { title: 'Urlaubsregelung', body: 'Mitarbeitende haben 30 Tage Urlaub.' } }),
  e('document.upserted', 'en', 'content-creation', { collection: 'articles', documentId: 'A-2001', fields: { name: 'Cordless drill 18V' } }),
  e('document.deleted', 'en', 'content-creation', { collection: 'policies', documentId: 'old-shipping' }),
  e('document.deleted', 'de', 'content-creation', { collection: 'handbuch', documentId: 'kapitel-7' }),
  // identity
  e('user.identified', 'en', 'account', { traits: { name: 'Jane Doe', plan: 'pro', email: 'jane@example.com' } }),
  e('user.identified', 'de', 'account', { traits: { name: 'Max Mustermann', sprache: 'deutsch', tarif: 'Basis' } }),
  e('user.identified', 'en', 'account', { traits: {}, anonymousId: 'anon-77' }),
  e('user.grouped', 'en', 'account', { groupId: 'team-sales', traits: { name: 'Sales team' } }),
  e('user.grouped', 'de', 'account', { groupId: 'firma-schmidt', traits: { name: 'Schmidt Haustechnik GmbH' } }),
  e('user.aliased', 'en', 'account', { previousId: 'anon-77' }),
  e('user.aliased', 'de', 'account', { previousId: 'gast-12' }),
];
