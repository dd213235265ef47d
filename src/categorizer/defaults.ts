/**
 * The built-in labels and rules a tenant starts with (until it PUTs its own). Labels describe
 * what a person wants, one line per language: each line is compared with an event on its own
 * and the best line counts, so an English and a German event both meet their language. Rules
 * give the built-in types whose intent never depends on their data a fixed intent; the types
 * that can mean anything (queries, searches, answers, pages, screens, API calls, messages and
 * chat messages, autopilot actions) are left to the classifier.
 */
import type { Label, Rule } from './settings.js';

export const DEFAULT_LABELS: readonly Label[] = [
  {
    name: 'purchase', category: 'commerce',
    description: 'Buying or ordering something: shop, add to cart, checkout, pay, place an order, price, product offer\n'
      + 'Etwas kaufen oder bestellen: Shop, in den Warenkorb legen, Kasse, bezahlen, Bestellung aufgeben, Preis, Angebot',
  },
  {
    name: 'cancellation', category: 'commerce',
    description: 'Cancelling, returning or getting money back: cancel an order, return goods, refund, withdraw, terminate a contract\n'
      + 'Stornieren, zurückgeben oder Geld zurück: Bestellung stornieren, Rücksendung, Rückerstattung, Widerruf, Vertrag kündigen',
  },
  {
    name: 'support', category: 'service',
    description: 'Getting help with a problem: question, error, broken, not working, complaint, how do I, contact customer service\n'
      + 'Hilfe bei einem Problem: Frage, Fehler, kaputt, funktioniert nicht, Beschwerde, wie kann ich, Kundenservice kontaktieren',
  },
  {
    name: 'search', category: 'discovery',
    description: 'Searching or looking up information: search query, find, look up, ask the knowledge base, results\n'
      + 'Suchen oder Informationen nachschlagen: Suchanfrage, finden, nachschlagen, Wissensdatenbank fragen, Ergebnisse',
  },
  {
    name: 'browse', category: 'discovery',
    description: 'Looking around: view a page or screen, open the start page, read an article, look at products in the catalog\n'
      + 'Sich umsehen: Seite oder Bildschirm ansehen, Startseite öffnen, Artikel lesen, Produkte im Katalog anschauen',
  },
  {
    name: 'account', category: 'account',
    description: 'Managing one\'s account or identity: sign up, log in, profile, settings, password, join a team or group\n'
      + 'Konto oder Identität verwalten: registrieren, anmelden, Profil, Einstellungen, Passwort, einem Team beitreten',
  },
  {
    name: 'content-creation', category: 'content',
    description: 'Creating or editing content: write, upload a document, create or update a record, publish, delete a document\n'
      + 'Inhalte erstellen oder bearbeiten: schreiben, Dokument hochladen, Eintrag anlegen oder ändern, veröffentlichen, Dokument löschen',
  },
  {
    name: 'communication', category: 'messaging',
    description: 'Communicating with someone: send a message, email, chat, reply, notification, newsletter, outreach\n'
      + 'Mit jemandem kommunizieren: Nachricht senden, E-Mail, Chat, antworten, Benachrichtigung, Newsletter, Kontaktaufnahme',
  },
  {
    name: 'sales', category: 'crm',
    description: 'Winning and looking after customers: lead, prospect, new customer record, deal, qualify, convert\n'
      + 'Kunden gewinnen und betreuen: Lead, Interessent, neuer Kundendatensatz, Abschluss, qualifizieren, konvertieren',
  },
  {
    name: 'inventory', category: 'operations',
    description: 'Managing goods and stock: stock level, warehouse, article data, reorder, low stock, supplier\n'
      + 'Waren und Lager verwalten: Lagerbestand, Lager, Artikelstammdaten, nachbestellen, Mindestbestand, Lieferant',
  },
  {
    name: 'finance', category: 'finance',
    description: 'Money and bookkeeping: invoice, payment received, journal entry, ledger account, balance, accounting\n'
      + 'Geld und Buchhaltung: Rechnung, Zahlungseingang, Buchung, Sachkonto, Kontostand, Buchhaltung',
  },
  {
    name: 'approval', category: 'workflow',
    description: 'Deciding on or running a process: approve, reject, review a request, workflow run, automation step\n'
      + 'Über einen Vorgang entscheiden oder ihn ausführen: genehmigen, ablehnen, Antrag prüfen, Workflow, Automatisierung',
  },
];

export const DEFAULT_RULES: readonly Rule[] = [
  { pattern: 'order.placed', category: 'commerce', intent: 'purchase' },
  { pattern: 'order.cancelled', category: 'commerce', intent: 'cancellation' },
  { pattern: 'article.*', category: 'operations', intent: 'inventory' },
  { pattern: 'stock.*', category: 'operations', intent: 'inventory' },
  { pattern: 'customer.created', category: 'crm', intent: 'sales' },
  { pattern: 'lead.*', category: 'crm', intent: 'sales' },
  { pattern: 'journal_entry.posted', category: 'finance', intent: 'finance' },
  { pattern: 'account_balance.changed', category: 'finance', intent: 'finance' },
  { pattern: 'sequence.step_executed', category: 'messaging', intent: 'communication' },
  { pattern: 'chat.*', category: 'messaging', intent: 'communication' },
  { pattern: 'workflow.*', category: 'workflow', intent: 'approval' },
  { pattern: 'document.*', category: 'content', intent: 'content-creation' },
  { pattern: 'user.*', category: 'account', intent: 'account' },
];
