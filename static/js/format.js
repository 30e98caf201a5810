// How numbers, votes and times read on screen, shared by the phone, console and projector.

export function percent(fraction) {
  if (fraction === null || fraction === undefined || Number.isNaN(fraction)) return '–';
  return `${Math.round(fraction * 100)}%`;
}

/** Scale points read with their sign ("+1", "−2"), since the direction scale is centred on 0. */
export function signed(value, centred = true) {
  const number = Number(value);
  if (!centred) return String(number);
  if (number > 0) return `+${number}`;
  if (number < 0) return `\u2212${Math.abs(number)}`;
  return '0';
}

export function decimal(value, digits = 2) {
  if (value === null || value === undefined) return '–';
  return Number(value).toFixed(digits).replace('-', '\u2212');
}

export function isCentred(question) {
  return question.kind === 'scale' && question.min < 0;
}

/** The readable text for a stored vote value on a question ("-1" -> "−1 Less"). */
export function valueLabel(question, value) {
  if (value === null || value === undefined) return '';
  if (String(value) === 'abstain') return 'Abstain';
  if (question.kind === 'scale') {
    const label = (question.labels || {})[String(value)];
    const number = signed(value, isCentred(question));
    return label ? `${number} ${label}` : number;
  }
  if (question.kind === 'choice') {
    const option = (question.options || []).find((item) => item.id === String(value));
    return option ? option.label : String(value);
  }
  return String(value);
}

export function time(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
