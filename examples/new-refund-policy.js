// A candidate refund policy for `decision-trace replay`: refunds up to 100 are approved, larger
// ones denied (the running one approved the quick start's refund of 120). Replay shows which
// stored decisions would change:
//   npx decision-trace replay --type refund.approve --policy ./examples/new-refund-policy.js --storage sqlite:./data/decisions.db
export default function ({ evidence }) {
  if (evidence.amount <= 100) return 'approved';
  return { outcome: 'denied', reason: 'over the new limit of 100', evidence: ['amount'] };
}
