// form-js's editor has no translation hook: its palette and properties panel write English texts of
// their own. On a Chinese page, those texts are put into Chinese where they appear (text, placeholder,
// title), as form-js renders them; anything not listed stays as it is.
const ZH = {
  // palette
  'Form': '表单', 'Components': '组件', 'Search components': '搜索组件', 'No components found.': '没有找到组件。',
  'Input': '填写', 'Selection': '选择', 'Presentation': '展示', 'Containers': '容器', 'Action': '操作',
  'Text field': '单行文本', 'Text area': '多行文本', 'Number': '数字', 'Date time': '日期时间', 'Date': '日期',
  'Checkbox': '勾选框', 'Checkbox group': '多选', 'Radio group': '单选', 'Select': '下拉选择', 'Tag list': '标签多选',
  'Text view': '说明文字', 'Image view': '图片', 'HTML view': 'HTML 内容', 'Table': '表格', 'Spacer': '空白',
  'Separator': '分隔线', 'Group': '分组', 'Dynamic list': '可重复列表', 'iFrame': '内嵌网页', 'Button': '按钮',
  'Expression': '计算值', 'File picker': '上传文件', 'Document preview': '文件预览',
  'Build your form': '设计表单', 'Drag and drop components here to start designing.': '把左侧组件拖到这里开始设计。',
  'Drag and drop components here.': '把组件拖到这里。', 'Use the preview window to test your form.': '可在预览中试填表单。',
  'Clear content': '清空',
  // properties panel: groups
  'General': '基本', 'Condition': '显示条件', 'Layout': '布局', 'Appearance': '外观', 'Validation': '校验',
  'Constraints': '限制', 'Options source': '选项来源', 'Static options': '固定选项', 'Dynamic options': '动态选项',
  'Options expression': '选项表达式', 'Custom properties': '自定义属性', 'Serialization': '存储格式',
  'Security attributes': '安全属性', 'Headers source': '表头来源', 'Header items': '表头', 'Data source': '数据来源',
  'Pagination': '分页',
  // properties panel: entries
  'Field label': '标题', 'Label': '标题', 'Key': '数据项名称', 'Default value': '默认值',
  'Field description': '说明', 'Description': '说明', 'ID': '编号', 'Text': '文字', 'Content': '内容',
  'Required': '必填', 'Read only': '只读', 'Disabled': '禁用', 'Minimum': '最小值', 'Maximum': '最大值',
  'Minimum length': '最少字数', 'Maximum length': '最多字数', 'Validation pattern': '格式',
  'Custom regular expression': '自定义正则表达式', 'Custom error message': '出错时的提示', 'Email': '电子邮箱',
  'Phone': '电话', 'Custom': '自定义', 'Prefix': '前缀', 'Suffix': '后缀', 'Decimal digits': '小数位数',
  'Increment': '步长', 'Output as string': '以文本存储', 'Searchable': '可搜索', 'Subtype': '类型',
  'Date label': '日期标题', 'Time label': '时间标题', 'Use 24h': '24 小时制', 'Time format': '时间格式',
  'Time interval': '时间间隔', 'Disallow past dates': '不允许过去的日期', 'Height': '高度', 'Columns': '列宽',
  'Auto': '自动', 'Vertical alignment': '垂直对齐', 'Top': '顶部', 'Center': '居中', 'Bottom': '底部',
  'Show outline': '显示边框', 'Path': '数据路径', 'Repeatable': '可重复', 'Allow add/delete items': '允许增删项目',
  'Default number of items': '默认项目数', 'Disable collapse': '不折叠', 'Number of non-collapsing items': '不折叠的项目数',
  'Number of rows per page': '每页行数', 'Value': '值', 'Name': '名称', 'Type': '类型', 'Submit': '提交', 'Reset': '重置',
  'Checked': '已勾选', 'Not checked': '未勾选', 'Target value': '目标值', 'Compute on': '计算时机',
  'Value changes': '数值变化时', 'Form submission': '提交时', 'Supported file formats': '允许的文件类型',
  'Upload multiple files': '允许上传多个文件', 'Image source': '图片地址', 'Alternative text': '替代文字', 'URL': '网址',
  'Version tag': '版本标签', '<none>': '（无）', 'Supports markdown and templating.': '支持 Markdown 格式和 {{变量}} 模板。',
  'Learn more': '了解更多', 'Binds to a form variable': '填写内容保存到此数据项',
  'Define an expression to calculate the value of this field': '填写用来计算此项取值的表达式',
  'List of items': '项目列表', 'Column': '列', 'Input values key': '选项数据项',
};

const ATTRIBUTES = ['placeholder', 'title', 'aria-label'];

// The form being designed shows the author's own words, whatever they are.
const AUTHORED = '.fjs-form-field';

function translateNode(node) {
  const element = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
  if (element && element.closest(AUTHORED)) return;
  if (node.nodeType === Node.TEXT_NODE) {
    const text = node.data.trim();
    if (ZH[text]) node.data = node.data.replace(text, ZH[text]);
    return;
  }
  if (node.nodeType !== Node.ELEMENT_NODE) return;
  ATTRIBUTES.forEach((name) => {
    const value = node.getAttribute(name);
    if (value && ZH[value.trim()]) node.setAttribute(name, ZH[value.trim()]);
  });
  node.childNodes.forEach(translateNode);
}

export default function editorInChinese(container) {
  if ((document.documentElement.lang || 'zh').toLowerCase().startsWith('en')) return;
  translateNode(container);
  new MutationObserver((changes) => changes.forEach((change) => {
    if (change.type === 'characterData') translateNode(change.target);
    else if (change.type === 'attributes') translateNode(change.target);
    else change.addedNodes.forEach(translateNode);
  })).observe(container, { subtree: true, childList: true, characterData: true, attributes: true,
    attributeFilter: ATTRIBUTES });
}
