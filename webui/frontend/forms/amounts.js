// Amounts as Chinese officials write them, read into plain numbers before form-js reads the field: thousands
// separators (600,000), 万 (60万 = 600000) and a trailing 元. The server reads submissions by the same rule
// (engine/formjs/components.py, amount_text); form-js alone reads "600,000" as 600.000.
const GROUPED = /^[+-]?\d{1,3}([,，]\d{3})+(\.\d+)?$/;
const PLAIN = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

export function amountText(text) {
  let value = text.trim().replace(/元$/, '').trim();
  const tenThousands = value.endsWith('万');
  if (tenThousands) value = value.slice(0, -1).trim();
  if (GROUPED.test(value)) value = value.replace(/[,，]/g, '');
  if (!PLAIN.test(value)) return null;
  if (!tenThousands) return value;
  // Shift the decimal point four places, in text, so no float rounding creeps in.
  const [whole, fraction = ''] = value.replace(/^([+-]?)\./, '$10.').split('.');
  const digits = fraction.padEnd(4, '0');
  const shifted = `${whole}${digits.slice(0, 4)}${digits.length > 4 ? `.${digits.slice(4)}` : ''}`;
  return shifted.replace(/^([+-]?)0+(?=\d)/, '$1');
}

// Separators, 万 or 元 that make no amount ("600,00"): form-js would read the comma as a decimal point
// (600.00) where the server refuses the text, so the field says what to type instead.
const AMOUNT_MARKS = /[,，万元]/;
const HINT = 'amount-hint';

function hintFor(input) {
  const field = input.closest('.fjs-form-field');
  return field && field.querySelector(`.${HINT}`);
}

function showHint(input, text) {
  let hint = hintFor(input);
  if (!text) {
    if (hint) hint.remove();
    input.removeAttribute('aria-invalid');
    return;
  }
  if (!hint) {
    hint = document.createElement('div');
    hint.className = `${HINT} fjs-form-field-error`;
    hint.setAttribute('role', 'alert');
    input.closest('.fjs-form-field').append(hint);
  }
  hint.textContent = text;
  input.setAttribute('aria-invalid', 'true');
}

// Returns whether form-js may read the input's value.
function readAmount(input, message) {
  const normal = amountText(input.value);
  if (normal === null && AMOUNT_MARKS.test(input.value)) {
    showHint(input, message);
    return false;
  }
  showHint(input, '');
  if (normal !== null && normal !== input.value) input.value = normal;
  return true;
}

// Number fields get the value rewritten before form-js's own handler reads it (capture phase); while an input
// method composes 万, the rewrite waits for the composition to end, then form-js is told of the change. A value
// that is no amount is kept from form-js (it keeps the last good one) and the field says so.
export function readAmounts(container, message) {
  const isNumber = (target) => target.matches && target.matches('.fjs-form-field-number input');
  container.addEventListener('input', (event) => {
    if (!isNumber(event.target) || event.isComposing) return;
    if (!readAmount(event.target, message)) event.stopImmediatePropagation();
  }, true);
  container.addEventListener('compositionend', (event) => {
    if (!isNumber(event.target)) return;
    if (readAmount(event.target, message)) event.target.dispatchEvent(new Event('input', { bubbles: true }));
  }, true);
}

// The first number field whose amount cannot be read, to be fixed before submitting; or null.
export function unreadAmount(container) {
  const hint = container.querySelector(`.${HINT}`);
  return hint ? hint.closest('.fjs-form-field').querySelector('input') : null;
}
