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

function readAmount(input) {
  const normal = amountText(input.value);
  if (normal !== null && normal !== input.value) input.value = normal;
}

// Number fields get the value rewritten before form-js's own handler reads it (capture phase); while an input
// method composes 万, the rewrite waits for the composition to end, then form-js is told of the change.
export function readAmounts(container) {
  const isNumber = (target) => target.matches && target.matches('.fjs-form-field-number input');
  container.addEventListener('input', (event) => {
    if (isNumber(event.target) && !event.isComposing) readAmount(event.target);
  }, true);
  container.addEventListener('compositionend', (event) => {
    if (!isNumber(event.target)) return;
    readAmount(event.target);
    event.target.dispatchEvent(new Event('input', { bubbles: true }));
  }, true);
}
