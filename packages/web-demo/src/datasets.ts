/** The sample datasets the server declares (herald.datasets.json), as the page offers them. */
export const DATASETS = [
  { name: 'transactions', label: 'Transactions (appended)' },
  { name: 'customers', label: 'Customers (upserted on external_id)' },
  { name: 'price_list', label: 'Price list (replaced as a whole)' },
] as const;
