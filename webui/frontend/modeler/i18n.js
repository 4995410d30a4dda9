// User-facing text goes through Django's JavaScript catalog when the page loads it (Chinese is the source).
export function t(text, values) {
  const translated = typeof window.gettext === 'function' ? window.gettext(text) : text;
  return values ? translated.replace(/%\((\w+)\)s/g, (_, key) => String(values[key])) : translated;
}
