/*
 * What the pipeline notes about a decision beside its data — input it kept but found wrong,
 * broken contract rules, fields redacted — carried by decision events and by the records built
 * from them (so both event.ts and record.ts depend on this file, never on each other).
 */

/**
 * Something about the input that was kept but is not what it should be: a malformed JSON
 * string, a confidence outside 0..1, a span that ends before it starts. Flags never carry secrets, only the field and a reason.
 */
export interface RecordFlag {
  code: 'invalid_json' | 'confidence_out_of_range' | 'invalid_value' | 'end_before_start' | string;
  field: string;
  detail: string;
}

/** A broken rule of the decision's contract (the decision registry); see contracts/. */
export interface ContractViolation {
  rule: 'unknown_type' | 'unknown_version' | 'actor_type' | 'key_evidence' | 'key_policies' | 'outcome' | 'expected_children' | 'confidence_required' | string;
  detail: string;
}

/**
 * A field the redaction processor changed before the decision was built: which field and how,
 * never the value. `truncate` means the value was cut at `max_value_length`.
 */
export interface RedactionEntry {
  field: string;
  action: 'drop' | 'mask' | 'hash' | 'derive' | 'truncate' | string;
}
