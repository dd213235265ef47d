/**
 * The sample shop's catalogue: articles and customers (German and English) and its policy
 * handbook. Fixed text, so every run of `eventrag demo` sends the same documents.
 */

export interface DemoArticle { articleId: string; name: string; description: string; category: string; price: number; stock: number; language: 'de' | 'en' }
export interface DemoCustomer { customerId: string; name: string; email: string; company: string; notes: string }
export interface DemoPolicy { id: string; title: string; body: string; category: string; effectiveDate: string }

type ArticleRow = [name: string, description: string, category: string, price: number, stock: number];

const GERMAN: ArticleRow[] = [
  ['Akku-Bohrschrauber 18 V', 'Kompakter Akku-Bohrschrauber mit zwei Gängen, LED-Arbeitslicht und zwei 2,0-Ah-Akkus im Koffer.', 'Elektrowerkzeug', 129.9, 42],
  ['Schlagbohrmaschine 800 W', 'Schlagbohrmaschine für Beton und Mauerwerk, mit Tiefenanschlag und Zusatzhandgriff.', 'Elektrowerkzeug', 89.0, 25],
  ['Winkelschleifer 125 mm', 'Winkelschleifer mit Wiederanlaufschutz und werkzeuglosem Schutzhaubenwechsel.', 'Elektrowerkzeug', 64.5, 31],
  ['Sechskantschrauben M8 x 40, verzinkt (100 Stück)', 'Sechskantschrauben nach DIN 933, Festigkeitsklasse 8.8, galvanisch verzinkt.', 'Befestigung', 11.9, 380],
  ['Holzschrauben 4 x 40 mm (500 Stück)', 'Spanplattenschrauben mit Senkkopf und Torx-Antrieb, gelb verzinkt.', 'Befestigung', 9.5, 610],
  ['Dübel 8 mm (100 Stück)', 'Universaldübel für Beton, Vollstein und Lochstein.', 'Befestigung', 6.9, 540],
  ['Drehmomentschlüssel 40–200 Nm', 'Knarrenkopf mit Umschaltung, Auslösegenauigkeit ±4 %, im Kunststoffkoffer.', 'Handwerkzeug', 74.0, 12],
  ['Schraubendreher-Set, 12-teilig', 'Schlitz, Kreuzschlitz und Torx, mit Mehrkomponentengriff.', 'Handwerkzeug', 24.9, 64],
  ['Wasserwaage 60 cm', 'Aluminium-Wasserwaage mit zwei Libellen und Magnetleiste.', 'Messwerkzeug', 19.9, 48],
  ['Laser-Entfernungsmesser 40 m', 'Misst Länge, Fläche und Volumen; Genauigkeit ±2 mm.', 'Messwerkzeug', 49.0, 4],
  ['Gartenschlauch 25 m', 'Knickfester Schlauch mit Gewebeeinlage, 1/2 Zoll, UV-beständig.', 'Garten', 34.9, 70],
  ['Rasenmäher-Messer 46 cm', 'Ersatzmesser für Benzin-Rasenmäher mit 46 cm Schnittbreite.', 'Garten', 21.5, 18],
  ['Arbeitshandschuhe Größe 10 (12 Paar)', 'Strickhandschuhe mit Nitrilbeschichtung, guter Grip bei Nässe.', 'Arbeitsschutz', 18.9, 120],
  ['Schutzbrille, klar', 'Kratzfeste Schutzbrille nach EN 166 mit Seitenschutz.', 'Arbeitsschutz', 7.5, 200],
  ['Stichsäge 650 W', 'Pendelhubstichsäge mit Drehzahlregelung und Späneblasvorrichtung.', 'Elektrowerkzeug', 79.0, 9],
  ['Werkbank mit Schublade', 'Stabile Werkbank aus Buchenholz, 120 x 60 cm, mit Schraubstock.', 'Werkstatt', 239.0, 3],
];

const ENGLISH: ArticleRow[] = [
  ['Cordless impact driver 18 V', 'Brushless impact driver with three speed settings, 180 Nm torque and a belt clip.', 'Power tools', 149.0, 22],
  ['Hex bolts M8 x 40, zinc-plated (100 pcs)', 'Hex head bolts to DIN 933, grade 8.8, for steel and timber constructions.', 'Fasteners', 12.4, 300],
  ['Wood screws 5 x 60 mm (200 pcs)', 'Countersunk chipboard screws with Torx drive and a cutting tip.', 'Fasteners', 10.9, 450],
  ['Wall plugs 6 mm (200 pcs)', 'Nylon plugs for brick, concrete and plasterboard.', 'Fasteners', 5.9, 700],
  ['Torque wrench 5–25 Nm', 'Click-type torque wrench for bicycles and small engines, 1/4 inch drive.', 'Hand tools', 54.0, 15],
  ['Claw hammer 450 g', 'Steel claw hammer with a shock-absorbing fibreglass handle.', 'Hand tools', 16.9, 80],
  ['Socket set, 94 pieces', '1/4 and 1/2 inch sockets, ratchets and extensions in a metal case.', 'Hand tools', 89.9, 11],
  ['Digital multimeter', 'Auto-ranging multimeter for voltage, current, resistance and continuity.', 'Measuring', 39.9, 27],
  ['Tape measure 8 m', 'Tape measure with a magnetic hook and a belt clip.', 'Measuring', 9.9, 150],
  ['Pressure washer 130 bar', 'Electric pressure washer with a patio cleaner and a 7 m hose.', 'Garden', 179.0, 6],
  ['Garden shears', 'Bypass pruning shears for branches up to 20 mm.', 'Garden', 14.5, 90],
  ['Safety boots S3, size 43', 'Waterproof safety boots with a steel toe cap and a puncture-resistant sole.', 'Safety', 69.0, 14],
  ['Ear defenders', 'Folding ear defenders, SNR 30 dB.', 'Safety', 17.9, 60],
  ['LED work light 30 W', 'Rechargeable LED floodlight, 2,400 lumen, IP54.', 'Workshop', 44.9, 33],
  ['Tool box, 20 inch', 'Plastic tool box with a removable tray and metal latches.', 'Workshop', 19.9, 55],
  ['Shelving unit, 5 shelves', 'Galvanised steel shelving, 180 x 90 x 40 cm, 175 kg per shelf.', 'Workshop', 59.0, 8],
];

const toArticles = (rows: ArticleRow[], first: number, language: 'de' | 'en'): DemoArticle[] =>
  rows.map(([name, description, category, price, stock], i) => ({ articleId: `A-${first + i}`, name, description, category, price, stock, language }));

export const ARTICLES: readonly DemoArticle[] = [...toArticles(GERMAN, 1001, 'de'), ...toArticles(ENGLISH, 2001, 'en')];

const CUSTOMER_ROWS: Array<[name: string, company: string, domain: string, notes: string]> = [
  ['Anna Schneider', 'Schneider Haustechnik GmbH', 'schneider-haustechnik.de', 'Bestellt monatlich Befestigungsmaterial; bevorzugt Lieferung am Vormittag.'],
  ['Jonas Weber', 'Weber Holzbau', 'weber-holzbau.de', 'Zimmerei mit zwölf Mitarbeitern; fragt oft nach Mengenrabatt für Holzschrauben.'],
  ['Lena Fischer', 'Fischer & Söhne Gartenbau', 'fischer-gartenbau.de', 'Saisonkunde von März bis Oktober, kauft Schläuche und Ersatzmesser.'],
  ['Lukas Becker', 'Becker Elektro', 'becker-elektro.de', 'Reklamierte im Januar einen defekten Winkelschleifer; Ersatz wurde geliefert.'],
  ['Marie Hoffmann', 'Hoffmann Immobilienservice', 'hoffmann-service.de', 'Hausmeisterdienst für 40 Wohnanlagen; zahlt per Rechnung, 30 Tage Ziel.'],
  ['Felix Wagner', 'Wagner Metallbau', 'wagner-metallbau.de', 'Interessiert an Drehmomentschlüsseln mit Kalibrierzertifikat.'],
  ['Sophie Koch', 'Koch Innenausbau', 'koch-innenausbau.de', 'Neukundin seit Februar; erste Bestellung war ein Schraubendreher-Set.'],
  ['Paul Richter', 'Richter Dachtechnik', 'richter-dach.de', 'Braucht Arbeitsschutz in großen Mengen vor Saisonbeginn.'],
  ['Emma Thompson', 'Thompson Property Care Ltd', 'thompsonpropertycare.co.uk', 'Maintenance contractor; orders safety gear every quarter.'],
  ['Oliver Smith', 'Smith & Daughters Joinery', 'smithjoinery.co.uk', 'Asked for a trade account and net-30 payment terms.'],
  ['Charlotte Brown', 'Brown Landscaping', 'brownlandscaping.com', 'Seasonal customer; buys pressure washers and garden shears in spring.'],
  ['James Wilson', 'Wilson Electrical Services', 'wilsonelectrical.com', 'Returned a multimeter that arrived with a cracked display; refunded.'],
  ['Amelia Taylor', 'Taylor Facilities Management', 'taylorfm.com', 'Runs 25 office buildings; prefers consolidated monthly invoices.'],
  ['Harry Davies', 'Davies Bike Workshop', 'daviesbikes.co.uk', 'Buys small torque wrenches and socket sets for the workshop.'],
  ['Isla Evans', 'Evans Renovations', 'evansrenovations.ie', 'New customer; first order was wall plugs and wood screws.'],
  ['George Martin', 'Martin Steel Fabrication', 'martinsteel.com', 'Needs hex bolts in bulk; asked about grade 10.9.'],
];

export const CUSTOMERS: readonly DemoCustomer[] = CUSTOMER_ROWS.map(([name, company, domain, notes], i) => ({
  customerId: `C-${String(i + 1).padStart(3, '0')}`, name, company, notes,
  email: `${name.split(' ')[0]!.toLowerCase()}@${domain}`,
}));

export const POLICIES: readonly DemoPolicy[] = [
  {
    id: 'returns', title: 'Returns and refunds', category: 'customer-service', effectiveDate: '2026-01-01',
    body: '# Returns and refunds\n\nCustomers may return unused articles within **30 days** of delivery for a full refund. '
      + 'The refund is paid to the original payment method within 5 business days after the return arrives.\n\n'
      + '## Damaged or faulty articles\n\nFaulty articles are replaced or refunded at our cost, including return shipping. '
      + 'Ask the customer for a photo of the damage before sending a replacement.',
  },
  {
    id: 'shipping', title: 'Shipping and delivery', category: 'customer-service', effectiveDate: '2026-01-01',
    body: '# Shipping and delivery\n\nOrders placed before 2 pm on a business day ship the same day. Standard delivery takes '
      + '2–3 business days in Germany and 3–5 in the rest of the EU. Shipping is free for orders over 50 EUR; below that it costs 4.95 EUR. '
      + 'Bulky articles such as workbenches and shelving ship by freight in 5–7 business days.',
  },
  {
    id: 'warranty', title: 'Warranty on power tools', category: 'products', effectiveDate: '2025-07-01',
    body: '# Warranty on power tools\n\nAll power tools carry a **2-year warranty** from the date of purchase; registered trade '
      + 'customers get 3 years. The warranty covers material and manufacturing defects, not wear parts such as blades, bits and batteries.',
  },
  {
    id: 'trade-accounts', title: 'Trade accounts and payment terms', category: 'sales', effectiveDate: '2026-02-01',
    body: '# Trade accounts\n\nBusinesses can apply for a trade account. Approved accounts pay by invoice with **30 days net**; '
      + 'the credit limit starts at 5,000 EUR and is reviewed after six months. Orders over 1,000 EUR get a 3 % volume discount.',
  },
  {
    id: 'reorder', title: 'Reordering low stock', category: 'operations', effectiveDate: '2026-03-01',
    body: '# Reordering low stock\n\nWhen the stock of an article falls below its reorder point, purchasing orders the quantity '
      + 'that covers four weeks of sales. Orders above 2,000 EUR need the approval of the head of purchasing.',
  },
  {
    id: 'rueckgabe', title: 'Rückgabe und Erstattung', category: 'kundenservice', effectiveDate: '2026-01-01',
    body: '# Rückgabe und Erstattung\n\nKundinnen und Kunden können unbenutzte Artikel innerhalb von **30 Tagen** nach Lieferung '
      + 'zurückgeben. Die Erstattung erfolgt innerhalb von 5 Werktagen nach Eingang der Rücksendung auf das ursprüngliche Zahlungsmittel.',
  },
  {
    id: 'urlaub', title: 'Urlaubsregelung', category: 'personal', effectiveDate: '2026-01-01',
    body: '# Urlaubsregelung\n\nMitarbeitende erhalten **30 Tage** bezahlten Urlaub pro Kalenderjahr. Urlaub wird mindestens zwei Wochen '
      + 'im Voraus im Personalportal beantragt. Resturlaub verfällt am 31. März des Folgejahres.',
  },
  {
    id: 'datenschutz', title: 'Datenschutz im Kundenservice', category: 'compliance', effectiveDate: '2025-05-25',
    body: '# Datenschutz im Kundenservice\n\nKundendaten werden nur für die Abwicklung von Bestellungen verwendet. Auskunftsersuchen '
      + 'nach Art. 15 DSGVO werden innerhalb eines Monats beantwortet. Zahlungsdaten werden nie per E-Mail weitergegeben.',
  },
];
