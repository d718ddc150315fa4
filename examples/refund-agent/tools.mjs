// The agent's tools: an order lookup and a refund-history lookup (in-memory stand-ins for a database).
const orders = {
  'o-1001': { orderId: 'o-1001', customerId: 'c-17', amount: 49.9, currency: 'EUR', paymentMethod: 'card', items: ['kettle'] },
  'o-1002': { orderId: 'o-1002', customerId: 'c-23', amount: 120, currency: 'EUR', paymentMethod: 'card', items: ['headphones'] },
  'o-1003': { orderId: 'o-1003', customerId: 'c-17', amount: 89, currency: 'EUR', paymentMethod: 'voucher', items: ['lamp'] },
  'o-1004': { orderId: 'o-1004', customerId: 'c-41', amount: 640, currency: 'EUR', paymentMethod: 'card', items: ['monitor'] },
};

const histories = {
  'c-17': { refundsLast90Days: 1, lifetimeValue: 2300 },
  'c-23': { refundsLast90Days: 0, lifetimeValue: 310 },
  'c-41': { refundsLast90Days: 3, lifetimeValue: 900 },
};

export async function lookupOrder(orderId) {
  await new Promise((resolve) => setTimeout(resolve, 3));
  const order = orders[orderId];
  if (order === undefined) throw new Error(`order ${orderId} not found`);
  return { ...order };
}

export async function lookupRefundHistory(customerId) {
  await new Promise((resolve) => setTimeout(resolve, 2));
  return { ...(histories[customerId] ?? { refundsLast90Days: 0, lifetimeValue: 0 }) };
}
