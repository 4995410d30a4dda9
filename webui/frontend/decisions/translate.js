// dmn-js's decision table in the page's language: its own English texts, in the words a civil servant
// uses when the page is Chinese. A diagram-js `translate` service, as for bpmn-js (modeler/translate.js).

const ZH = {
  // the table
  'Hit policy': '命中策略', 'Hit policy:': '命中策略：', 'Decision name': '决策名称', 'Decision name: ': '决策名称：',
  'When': '条件', 'And': '且', 'Then': '结果', 'Annotation': '备注', 'Annotations': '备注',
  'Input': '输入', 'Output': '输出', 'Resize': '调整宽度', 'View DRD': '查看决策需求图',
  // hit policies; PRIORITY and OUTPUT ORDER do not deploy (engine/decisions/files.py)
  'Unique': '唯一（UNIQUE）', 'First': '第一条（FIRST）', 'Priority': '优先级（PRIORITY，本系统不支持）',
  'Any': '任意（Any）', 'Collect': '汇集（COLLECT）', 'Collect (Sum)': '汇集求和（COLLECT SUM）',
  'Collect (Min)': '汇集取最小（COLLECT MIN）', 'Collect (Max)': '汇集取最大（COLLECT MAX）',
  'Collect (Count)': '汇集计数（COLLECT COUNT）', 'Rule order': '按规则顺序（RULE ORDER）',
  'Output order': '按输出优先级（OUTPUT ORDER，本系统不支持）',
  'No overlap is possible and all rules are disjoint. Only a single rule can be matched':
    '规则互不重叠，每次只有一条规则匹配',
  'Rules may overlap. The first matching rule will be chosen': '规则可以重叠，取自上而下第一条匹配的规则',
  'Rules may overlap. The one with the highest priority will be chosen': '规则可以重叠，取优先级最高的一条（本系统不支持）',
  'Rules may overlap. Their output have to match': '规则可以重叠，但匹配的规则结果必须相同',
  'Collects the values of all matching rules': '汇集所有匹配规则的结果（列表）',
  'Collects the values of all matching rules and sums up to a single value': '汇集所有匹配规则的结果并求和',
  'Collects the values of all matching rules and uses the lowest value': '汇集所有匹配规则的结果并取最小值',
  'Collects the values of all matching rules and uses the highest value': '汇集所有匹配规则的结果并取最大值',
  'Collects the values of all matching rules and counts the number of them': '统计匹配的规则条数',
  'Collects the values of all matching rules in rule order': '按规则顺序汇集所有匹配规则的结果',
  'Collects the values of all matching rules in decreasing output priority order': '按输出优先级汇集结果（本系统不支持）',
  // column heads
  'Input label': '输入名称', 'Input label: ': '输入名称：', 'Input expression': '输入表达式（流程数据名）',
  'Input expression: ': '输入表达式：', 'Output label': '输出名称', 'Output label: ': '输出名称：',
  'Output name': '结果变量名（写入流程数据）', 'Output name: ': '结果变量名：', 'Input type': '输入类型',
  'Output type': '输出类型', 'Type': '类型', 'Expression': '表达式', 'Enter expression': '请输入表达式',
  'Expression language': '表达式语言', 'Expression language: {expressionLanguageLabel}': '表达式语言：{expressionLanguageLabel}',
  'Change cell expression language': '更改单元格的表达式语言',
  'Editing not supported for set expression language': '该表达式语言不能在此编辑',
  'Input values': '输入的可选值', 'Output values': '输出的可选值', 'Predefined values': '预设值', 'Custom values': '自定义值',
  'Add predefined values': '添加预设值', 'Clear predefined values': '清除预设值', 'Add values': '添加值',
  'No values': '没有值', 'Values': '值', 'Value': '值',
  // data types
  'string': '文本（string）', 'boolean': '是否（boolean）', 'number': '数字（number）', 'date': '日期（date）',
  'time': '时间（time）', 'dateTime': '日期时间（dateTime）', 'dayTimeDuration': '时长（dayTimeDuration）',
  'yearMonthDuration': '年月时长（yearMonthDuration）',
  // rules and columns
  'Add rule': '添加规则', 'Add rule above': '在上方添加规则', 'Add rule below': '在下方添加规则', 'Remove rule': '删除规则',
  'Copy rule': '复制规则', 'Cut rule': '剪切规则', 'Paste rule above': '粘贴规则到上方', 'Paste rule below': '粘贴规则到下方',
  'Move rule': '拖动规则', 'Add input': '添加输入', 'Add output': '添加输出',
  'Add input column left': '在左侧添加输入列', 'Add input column right': '在右侧添加输入列',
  'Add output column left': '在左侧添加输出列', 'Add output column right': '在右侧添加输出列',
  'Remove input column': '删除输入列', 'Remove output column': '删除输出列',
  'Copy input column': '复制输入列', 'Cut input column': '剪切输入列', 'Copy output column': '复制输出列',
  'Cut output column': '剪切输出列', 'Paste input column left': '粘贴输入列到左侧',
  'Paste input column right': '粘贴输入列到右侧', 'Paste output column left': '粘贴输出列到左侧',
  'Paste output column right': '粘贴输出列到右侧', 'Add cell description': '添加单元格说明',
  'Remove cell description': '删除单元格说明',
  // cell editors
  'Edit': '编辑', 'Edit input': '编辑输入', 'Edit output': '编辑输出', 'Edit string': '编辑文本', 'Edit number': '编辑数字',
  'Edit boolean': '编辑是否', 'Edit date': '编辑日期', 'Edit time': '编辑时间', 'Edit date and time': '编辑日期时间',
  'Edit duration': '编辑时长', 'Edit start date': '编辑开始日期', 'Edit end date': '编辑结束日期',
  'Edit start time': '编辑开始时间', 'Edit end time': '编辑结束时间', 'Edit start date and time': '编辑开始日期时间',
  'Edit end date and time': '编辑结束日期时间', 'Test type': '判断方式', 'Comparison': '比较', 'Range': '区间',
  'Comparison operator': '比较方式', 'Range start operator': '区间起点', 'Range start value': '起点值',
  'Range end operator': '区间终点', 'Range end value': '终点值', 'Equals': '等于', 'Less': '小于', 'Less or equals': '小于等于',
  'Greater': '大于', 'Greater or equals': '大于等于', 'Include': '包含', 'Exclude': '不包含',
  'Match one': '匹配其中之一', 'Match none': '都不匹配', 'Exactly': '恰为', 'Before': '早于',
  'After': '晚于', 'Between': '介于', 'Set value': '设定值', 'Boolean value': '是否', 'String value': '文本',
  'Date value': '日期', 'Time value': '时间', 'Date and time value': '日期时间', 'Duration value': '时长',
  'Yes': '是', 'No': '否', 'Start value': '起点值', 'End value': '终点值', 'Date': '日期', 'Time': '时间',
  'Date and time': '日期时间', 'Start date': '开始日期', 'End date': '结束日期', 'Start time': '开始时间',
  'End time': '结束时间', 'Start date and time': '开始日期时间', 'End date and time': '结束日期时间',
  'Set date': '设定日期', 'Set time': '设定时间', 'Set date and time': '设定日期时间', 'Set duration': '设定时长',
  'Use today': '今天', 'Use now': '现在', 'Strings must be in double quotes': '文本须加英文双引号，如 "优秀"',
  'e.g. { example } ': '例如 {example}', 'e.g. { sample }': '例如 {sample}',
  'Must match PnYnM': '格式应为 PnYnM，如 P1Y2M', 'Must match PnDTnH': '格式应为 PnDTnH，如 P3DT4H',
  'Date must match pattern yyyy-MM-dd': '日期格式应为 yyyy-MM-dd',
  'Time must match pattern hh:mm:ss[time zone]': '时间格式应为 hh:mm:ss',
  'Date and time must match pattern yyyy-MM-ddTHH:mm:ss[time zone]': '日期时间格式应为 yyyy-MM-ddTHH:mm:ss',
};

function chinese() {
  return !(document.documentElement.lang || 'zh').toLowerCase().startsWith('en');
}

// dmn-js writes some placeholders with spaces ("{ sample }") and passes the value by the bare name.
export default function translate(template, replacements) {
  const text = chinese() ? (ZH[template] || template) : template;
  return text.replace(/{([^}]+)}/g, (_, spaced) => {
    const key = spaced.trim();
    return replacements && key in replacements ? replacements[key] : `{${spaced}}`;
  });
}

export const TranslateModule = { translate: ['value', translate] };
