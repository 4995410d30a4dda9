// form-js has no translation hook: its validation messages and its few fixed words (buttons,
// placeholders) are English literals. On a Chinese page they are put into Chinese here; the form's own
// labels come from the schema and are Chinese already.

const MESSAGES = [
  [/^Field is required\.$/, () => '此项为必填项'],
  [/^Field must have minimum value of (.+)\.$/, (m) => `不能小于 ${m[1]}`],
  [/^Field must have maximum value of (.+)\.$/, (m) => `不能大于 ${m[1]}`],
  [/^Field must have minimum length of (.+)\.$/, (m) => `至少 ${m[1]} 个字`],
  [/^Field must have maximum length of (.+)\.$/, (m) => `最多 ${m[1]} 个字`],
  [/^Field must match pattern (.+)\.$/, () => '格式不正确'],
  [/^Field must be a valid email\.$/, () => '请输入有效的电子邮箱地址'],
  [/^Field must be a valid\s+international phone number\..*$/, () => '请输入有效的电话号码（如 +8613800000000）'],
  [/^Value is not a number\.$/, () => '请输入数字'],
  [/^Value is expected to be an integer\.$/, () => '请输入整数'],
  [/^Value is expected to have at most (\d+) decimal digits?\.$/, (m) => `最多 ${m[1]} 位小数`],
  [/^Please select a valid value, the two nearest valid values are (.+) and (.+)\.$/,
    (m) => `数值不符合步长，最接近的有效值为 ${m[1]} 和 ${m[2]}`],
];

const WORDS = [
  [/^Add new$/, () => '添加一行'],
  [/^Collapse$/, () => '收起'],
  [/^Expand all \((\d+)\)$/, (m) => `全部展开（${m[1]}）`],
  [/^Select$/, () => '请选择'],
  [/^Search$/, () => '搜索'],
  [/^No results$/, () => '无匹配项'],
  [/^Remove list item (\d+)$/, (m) => `删除第 ${m[1]} 行`],
  [/^Remove tag$/, () => '移除'],
  [/^Increment$/, () => '增加'],
  [/^Decrement$/, () => '减少'],
  [/^Browse$/, () => '选择文件'],
  [/^No files selected$/, () => '未选择文件'],
  [/^(\d+) files selected$/, (m) => `已选择 ${m[1]} 个文件`],
];

const ATTRIBUTES = ['placeholder', 'aria-label', 'title'];

function translate(table, text) {
  const trimmed = text.trim();
  for (const [pattern, chinese] of table) {
    const match = trimmed.match(pattern);
    if (match) return text.replace(trimmed, chinese(match));
  }
  return null;
}

function translateAttributes(element) {
  for (const name of ATTRIBUTES) {
    const value = element.getAttribute(name);
    const chinese = value && translate(WORDS, value);
    if (chinese) element.setAttribute(name, chinese);
  }
}

function translateNode(node) {
  if (node.nodeType === Node.TEXT_NODE) {
    const chinese = translate(WORDS, node.data);
    if (chinese !== null) node.data = chinese;
    return;
  }
  if (node.nodeType !== Node.ELEMENT_NODE) return;
  [node, ...node.querySelectorAll('*')].forEach(translateAttributes);
  const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
  for (let text = walker.nextNode(); text; text = walker.nextNode()) translateNode(text);
}

export function isChinesePage() {
  return document.documentElement.lang.toLowerCase().startsWith('zh');
}

// The validator is the form's service that writes every field error; its messages pass through here.
function translateValidation(form) {
  const validator = form.get('validator');
  for (const method of ['validateField', 'validateFieldInstance']) {
    const original = validator[method].bind(validator);
    validator[method] = (...args) => original(...args).map((message) => translate(MESSAGES, message) ?? message);
  }
}

// The form re-renders only what changed, so a word put into Chinese stays until form-js writes it again;
// the observer catches those writes.
function translateRendering(container) {
  translateNode(container);
  new MutationObserver((mutations) => {
    for (const mutation of mutations) {
      if (mutation.type === 'childList') mutation.addedNodes.forEach(translateNode);
      else if (mutation.type === 'attributes') translateAttributes(mutation.target);
      else translateNode(mutation.target);
    }
  }).observe(container, {
    childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ATTRIBUTES,
  });
}

export function speakChinese(form, container) {
  if (!isChinesePage()) return;
  translateValidation(form);
  translateRendering(container);
}
