// The labels and limits the server defines once (workshop/vocabulary.py), read from the page's
// <script type="application/json" id="vocabulary"> block. Parsed once, frozen, shared by every module.

function deepFreeze(value) {
  if (value && typeof value === 'object') {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

function read() {
  const block = document.getElementById('vocabulary');
  if (!block) throw new Error('this page has no vocabulary block');
  return deepFreeze(JSON.parse(block.textContent));
}

export const vocabulary = read();

export const DIRECTIONS = vocabulary.directions;
export const RECORD_STATUSES = vocabulary.record_statuses;
export const QUESTION_STATUSES = vocabulary.question_statuses;
export const VERDICTS = vocabulary.verdicts;
export const CERTAINTIES = vocabulary.certainties;
export const LIMITS = vocabulary.limits;
export const THRESHOLDS = vocabulary.thresholds;
export const CLOSE_CODES = vocabulary.close_codes;
export const HEAT_BANDS = vocabulary.heat_bands;
export const KINDS = new Map(vocabulary.kinds.map((kind) => [kind.id, kind]));
export const STRATEGIES = new Map(vocabulary.strategies.map((strategy) => [strategy.id, strategy]));

/** A strategy's name, or its id when the plan names one the framework does not know. */
export function strategyName(id) {
  return STRATEGIES.has(id) ? STRATEGIES.get(id).name : id;
}

/** "Less variability", "Agreed", …: a value's label, or the value itself when it has none. */
export function label(labels, value) {
  return Object.hasOwn(labels, value) ? labels[value] : value;
}
