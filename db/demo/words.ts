/** Word lists for the demo data: fictional companies, people and competitors. */

// prettier-ignore
export const NAME_STEMS = [
  'Northwind', 'Blue Ridge', 'Silverlake', 'Redwood', 'Granite', 'Harbor', 'Summit', 'Pioneer', 'Evergreen',
  'Ironbridge', 'Crescent', 'Lakeside', 'Maple', 'Oakmont', 'Riverstone', 'Sunrise', 'Westfield', 'Eastgate',
  'Highland', 'Cedar', 'Falcon', 'Horizon', 'Keystone', 'Liberty', 'Meridian', 'Orion', 'Pacific', 'Atlas',
  'Beacon', 'Cobalt', 'Delta', 'Emerald', 'Fairview', 'Glacier', 'Hawthorne', 'Jade', 'Kestrel', 'Lumen',
  'Monarch', 'Nova', 'Obsidian', 'Pinnacle', 'Quarry', 'Sapphire', 'Tidewater', 'Vanguard', 'Willow', 'Zenith',
  'Aurora', 'Bayview', 'Canyon', 'Driftwood', 'Everest', 'Foxglove', 'Greystone', 'Hillcrest', 'Ivory', 'Juniper',
  'Kingsbridge', 'Lighthouse', 'Millbrook', 'Northstar', 'Oceanic', 'Prairie', 'Rosewood', 'Stonegate', 'Thornbury',
  'Upland', 'Valiant', 'Whitehall', 'Yellowstone', 'Amber', 'Brightwater', 'Copperfield', 'Dunmore', 'Elmstead',
];

// prettier-ignore
export const NAME_MIDDLES = ['', '', '', 'United', 'General', 'National', 'Allied', 'Consolidated', 'First', 'Premier', 'Metro', 'Global', 'Continental'];

export const INDUSTRY_SUFFIXES: Record<string, readonly string[]> = {
  finance: ['Bank', 'Capital', 'Financial', 'Insurance', 'Securities', 'Trust', 'Asset Management', 'Credit Union'],
  energy: ['Energy', 'Power', 'Utilities', 'Petroleum', 'Renewables', 'Grid', 'Gas & Electric', 'Solar'],
  government: [
    'Municipal Authority',
    'Transit Authority',
    'Revenue Office',
    'Water Board',
    'Port Authority',
    'Public Works',
    'Health Bureau',
    'County Council',
  ],
  manufacturing: ['Industries', 'Manufacturing', 'Machinery', 'Components', 'Steel', 'Electronics', 'Automotive', 'Chemicals'],
  healthcare: ['Health', 'Medical Center', 'Hospital Group', 'Pharma', 'Clinics', 'Biotech', 'Diagnostics', 'Care Network'],
  retail: ['Retail', 'Stores', 'Supermarkets', 'Outlets', 'Fashion', 'Home & Living', 'Department Stores', 'Marketplace'],
  logistics: ['Logistics', 'Freight', 'Shipping', 'Express', 'Cargo', 'Distribution', 'Supply Chain', 'Forwarding'],
};

/** Disambiguates a name drawn twice: "Northwind Bank (Lyon)". */
// prettier-ignore
export const CITIES = [
  'Lyon', 'Osaka', 'Porto', 'Denver', 'Leeds', 'Krakow', 'Austin', 'Turin', 'Busan', 'Perth', 'Malmo', 'Ghent',
  'Quebec', 'Tampere', 'Bilbao', 'Graz', 'Cork', 'Utrecht', 'Seville', 'Nagoya', 'Dresden', 'Calgary', 'Adelaide',
  'Brno', 'Tartu', 'Split', 'Bergen', 'Aarhus', 'Basel', 'Geneva', 'Hobart', 'Kyoto', 'Lille', 'Nantes', 'Oulu',
];

// prettier-ignore
export const FIRST_NAMES = [
  'Wei', 'Li', 'Mei', 'Jun', 'Hui', 'Anna', 'James', 'Maria', 'David', 'Sofia', 'Chen', 'Yan', 'Lars', 'Ingrid',
  'Omar', 'Fatima', 'Raj', 'Priya', 'Kenji', 'Yuki', 'Carlos', 'Lucia', 'Pierre', 'Claire', 'Ahmed', 'Leila',
  'Tom', 'Emma', 'Noah', 'Olivia', 'Ivan', 'Elena', 'Min-jun', 'Ji-woo', 'Kwame', 'Ama', 'Mateo', 'Valentina',
];

// prettier-ignore
export const LAST_NAMES = [
  'Wang', 'Zhang', 'Liu', 'Chen', 'Yang', 'Huang', 'Zhao', 'Wu', 'Smith', 'Johnson', 'Garcia', 'Muller',
  'Rossi', 'Dubois', 'Tanaka', 'Sato', 'Kim', 'Park', 'Singh', 'Patel', 'Hansen', 'Nielsen', 'Novak', 'Kowalski',
  'Silva', 'Santos', 'Okafor', 'Mensah', 'Ivanova', 'Petrov', 'Haddad', 'Nasser', 'Fischer', 'Weber', 'Lopez',
];

/** Titles by org-chart level: 0 is the top of the customer's reporting tree. */
export const TITLES_BY_LEVEL: readonly (readonly string[])[] = [
  ['CEO', 'General Manager', 'Managing Director', 'President'],
  ['CIO', 'CFO', 'COO', 'VP Operations', 'Chief Digital Officer', 'VP Procurement'],
  ['IT Director', 'Head of Procurement', 'Finance Director', 'Head of Operations', 'Head of Architecture'],
  ['IT Manager', 'Procurement Manager', 'Project Manager', 'Solution Architect', 'Security Lead', 'Business Analyst'],
];

export const COMPETITORS: readonly { id: string; name: string; theirOffer: string; ourEdge: string }[] = [
  {
    id: 'globex',
    name: 'Globex',
    theirOffer: 'Low licence price, bundled hardware',
    ourEdge: 'Lower total cost over three years; local delivery team',
  },
  {
    id: 'initech',
    name: 'Initech',
    theirOffer: 'Industry templates and a large partner network',
    ourEdge: "Faster roll-out; templates tailored to the customer's process",
  },
  {
    id: 'umbrella',
    name: 'Umbrella Systems',
    theirOffer: 'Full-stack suite from one vendor',
    ourEdge: 'Open integration with what the customer already runs',
  },
  {
    id: 'hooli',
    name: 'Hooli',
    theirOffer: 'Cloud-first platform, aggressive discounts',
    ourEdge: 'On-premise option and data residency',
  },
  {
    id: 'vandelay',
    name: 'Vandelay Industries',
    theirOffer: 'Incumbent with long relationships',
    ourEdge: 'Modern architecture, measurable savings in year one',
  },
  {
    id: 'soylent',
    name: 'Soylent Tech',
    theirOffer: 'Outsourced operations at a fixed fee',
    ourEdge: 'The customer keeps control; transparent service levels',
  },
  {
    id: 'tyrell',
    name: 'Tyrell Digital',
    theirOffer: 'AI features marketed heavily',
    ourEdge: 'Proven references in the same industry',
  },
  {
    id: 'cyberdyne',
    name: 'Cyberdyne',
    theirOffer: 'High-end performance for large sites',
    ourEdge: 'Right-sized solution and better service coverage',
  },
  {
    id: 'massive',
    name: 'Massive Dynamic',
    theirOffer: 'Global contracts via headquarters',
    ourEdge: 'Local decision making and a dedicated account team',
  },
  {
    id: 'wayne',
    name: 'Wayne Enterprise Tech',
    theirOffer: 'Premium brand, executive relationships',
    ourEdge: 'Better price-performance and quicker support',
  },
  {
    id: 'stark',
    name: 'Stark Solutions',
    theirOffer: 'Innovation showcase projects',
    ourEdge: 'Lower delivery risk; fixed-scope pilots',
  },
  { id: 'acmesoft', name: 'AcmeSoft', theirOffer: 'Cheap entry edition', ourEdge: 'Scales without re-platforming' },
];

// prettier-ignore
export const PRODUCTS = ['Core Platform', 'Analytics Suite', 'Managed Services', 'Security Package', 'Integration Hub', 'Data Migration', 'Support Upgrade', 'Training Programme'];

export const VISIT_NOTES = [
  'Quarterly business review',
  'Introduced the new release',
  'Lunch with the sponsor',
  'Workshop on business needs',
  'Followed up on the open tender',
  'Service issue escalation',
  'Reference visit with a peer customer',
  'Budget planning for next year',
  'Met the new IT director',
  'Solution demo for the evaluation team',
];

// prettier-ignore
export const MANAGER_NAMES = ['Alex Chen', 'Maria Garcia', 'Wei Zhang', 'Sofia Rossi', 'James Okafor', 'Yuki Tanaka', 'Lars Hansen', 'Priya Singh'];
