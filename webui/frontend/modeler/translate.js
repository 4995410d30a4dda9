// bpmn-js and its properties panel in the page's language: their own English texts, in the words a
// civil servant uses when the page is Chinese. A diagram-js `translate` service (bpmn-js's i18n hook).

const ZH = {
  // palette and context pad
  'Activate hand tool': '抓手工具（拖动画布）',
  'Activate lasso tool': '框选工具',
  'Activate create/remove space tool': '插入或删除空白',
  'Activate global connect tool': '连线工具',
  'Create start event': '添加开始事件',
  'Create intermediate/boundary event': '添加中间事件或边界事件',
  'Create end event': '添加结束事件',
  'Create gateway': '添加分支（网关）',
  'Create task': '添加任务',
  'Create data object reference': '添加数据对象',
  'Create data store reference': '添加数据存储',
  'Create expanded sub-process': '添加子流程',
  'Create pool/participant': '添加池（参与方）',
  'Create group': '添加分组',
  'Append end event': '接着添加结束事件',
  'Append gateway': '接着添加分支（网关）',
  'Append task': '接着添加任务',
  'Append intermediate/boundary event': '接着添加中间事件',
  'Append text annotation': '添加注释',
  'Add text annotation': '添加注释',
  'Append compensation activity': '添加补偿活动',
  'Append receive task': '接着添加接收任务',
  'Append message intermediate catch event': '接着添加等待消息',
  'Append timer intermediate catch event': '接着添加等待时间',
  'Append conditional intermediate catch event': '接着添加等待条件',
  'Append signal intermediate catch event': '接着添加等待信号',
  'Change element': '更换类型',
  'Delete': '删除',
  'Connect using association': '用关联线连接',
  'Connect using data input association': '用数据输入线连接',
  'Connect to other element': '连接到其他元素',
  'Add lane above': '在上方添加泳道',
  'Add lane below': '在下方添加泳道',
  'Divide into two lanes': '拆分为两条泳道',
  'Divide into three lanes': '拆分为三条泳道',
  'Align elements': '对齐',
  'Distribute elements horizontally': '水平等距排列',
  'Distribute elements vertically': '垂直等距排列',
  'Search in diagram': '在图中查找',
  'Toggle non-interrupting': '切换为不中断',
  'Loop': '循环',
  'Parallel multi-instance': '并行多实例（同时办理多份）',
  'Sequential multi-instance': '依次多实例（逐份办理）',
  'Compensation': '补偿',
  'Ad-hoc': '自由顺序',
  'Open {element}': '打开 {element}',
  // element types, as the type menu names them
  'Task': '任务', 'User task': '人工任务（由办理单位填写表单）', 'Service task': '服务任务（系统自动处理）',
  'Script task': '脚本任务', 'Send task': '发送任务', 'Receive task': '接收任务', 'Manual task': '线下任务',
  'Business rule task': '业务规则任务', 'Call activity': '调用其他流程', 'Sub-process': '子流程',
  'Sub-process (collapsed)': '子流程（折叠）', 'Sub-process (expanded)': '子流程（展开）',
  'Event sub-process': '事件子流程', 'Transaction': '事务', 'Ad-hoc sub-process': '自由顺序子流程',
  'Ad-hoc sub-process (collapsed)': '自由顺序子流程（折叠）', 'Ad-hoc sub-process (expanded)': '自由顺序子流程（展开）',
  'Start event': '开始事件', 'End event': '结束事件', 'Intermediate throw event': '中间事件',
  'Boundary event': '边界事件', 'Terminate end event': '终止结束（结束整个流程）',
  'Message start event': '收到消息时开始', 'Timer start event': '定时开始', 'Conditional start event': '条件开始',
  'Signal start event': '收到信号时开始', 'Error start event': '错误开始', 'Escalation start event': '上报开始',
  'Compensation start event': '补偿开始',
  'Message start event (non-interrupting)': '收到消息时开始（不中断）',
  'Timer start event (non-interrupting)': '定时开始（不中断）',
  'Conditional start event (non-interrupting)': '条件开始（不中断）',
  'Signal start event (non-interrupting)': '收到信号时开始（不中断）',
  'Escalation start event (non-interrupting)': '上报开始（不中断）',
  'Message intermediate catch event': '等待消息', 'Message intermediate throw event': '发送消息',
  'Timer intermediate catch event': '等待时间', 'Conditional intermediate catch event': '等待条件',
  'Signal intermediate catch event': '等待信号', 'Signal intermediate throw event': '发出信号',
  'Link intermediate catch event': '跳转目标', 'Link intermediate throw event': '跳转',
  'Escalation intermediate throw event': '上报', 'Compensation intermediate throw event': '触发补偿',
  'Message end event': '结束并发送消息', 'Error end event': '以错误结束', 'Escalation end event': '以上报结束',
  'Signal end event': '结束并发出信号', 'Compensation end event': '结束并补偿', 'Cancel end event': '取消结束',
  'Message boundary event': '收到消息（中断任务）', 'Timer boundary event': '到期（中断任务）',
  'Escalation boundary event': '上报（中断任务）', 'Conditional boundary event': '条件满足（中断任务）',
  'Error boundary event': '出错时', 'Cancel boundary event': '取消时', 'Signal boundary event': '收到信号（中断任务）',
  'Compensation boundary event': '补偿',
  'Message boundary event (non-interrupting)': '收到消息（不中断任务）',
  'Timer boundary event (non-interrupting)': '到期（不中断任务，如逾期督办）',
  'Escalation boundary event (non-interrupting)': '上报（不中断任务）',
  'Conditional boundary event (non-interrupting)': '条件满足（不中断任务）',
  'Signal boundary event (non-interrupting)': '收到信号（不中断任务）',
  'Exclusive gateway': '排他分支（按条件走一条）', 'Parallel gateway': '并行分支（同时走各条）',
  'Inclusive gateway': '包容分支（走条件满足的各条）', 'Complex gateway': '复杂分支', 'Event-based gateway': '事件分支（先到先走）',
  'Event based instantiating Gateway': '事件分支（启动流程）', 'Parallel Event based instantiating Gateway': '并行事件分支（启动流程）',
  'Sequence flow': '顺序流', 'Default flow': '默认路径', 'Conditional flow': '条件路径',
  'Data object reference': '数据对象', 'Data store reference': '数据存储',
  'Expanded pool/participant': '池（展开）', 'Empty pool/participant': '池（空）',
  // properties panel
  'General': '基本信息', 'Documentation': '说明', 'Name': '名称', 'ID': '编号（ID）',
  'Element documentation': '元素说明', 'Process documentation': '流程说明', 'Executable': '可执行',
  'Process name': '流程名称', 'Process ID': '流程编号', 'Participant Name': '参与方名称', 'Version tag': '版本标签',
  'Multi-instance': '多实例', 'Loop cardinality': '次数', 'Completion condition': '完成条件',
  'Input collection': '输入集合', 'Input element': '输入元素', 'Output collection': '输出集合', 'Output element': '输出元素',
  'Collection': '集合', 'Element variable': '元素变量',
  'Message': '消息', 'Global message reference': '消息', 'Signal': '信号', 'Global signal reference': '信号',
  'Error': '错误', 'Global error reference': '错误', 'Code': '代码', 'Escalation': '上报',
  'Global escalation reference': '上报', 'Link': '跳转', 'Condition': '条件', 'Condition expression': '条件表达式',
  'Condition Expression': '条件表达式', 'Type': '类型', 'Value': '值', 'Timer': '定时', 'Create new ...': '新建…',
  '<none>': '（无）', '<empty>': '（空）',
  'Select an element to edit its properties.': '请在图中选择一个元素，以编辑其属性。',
  'Multiple elements are selected. Select a single element to edit its properties.': '已选择多个元素；请只选择一个以编辑其属性。',
  'ID must be unique.': '编号不能与其他元素重复。', 'ID must not be empty.': '编号不能为空。',
  'ID must not contain spaces.': '编号不能包含空格。', 'ID must be a valid QName.': '编号须以字母开头，只含字母、数字、下划线。',
  'ID must not contain prefix.': '编号不能带前缀。',
  'Section contains edits': '本组已修改', 'Section contains an error': '本组有错误', 'Toggle section': '展开或收起',
  'Open documentation': '打开说明', 'Open pop-up editor': '在弹出窗口中编辑', 'Delete item': '删除此项',
  'Create new list item': '新增一项', 'Toggle list item': '展开或收起此项',
};

// Headers of the properties panel name the element's concrete type ("User Task", "Timer Boundary Event
// (Non Interrupting)"): the same words as the type menu, in title case.
const TITLE_CASE = Object.fromEntries(Object.entries(ZH)
  .filter(([english]) => /^[A-Z][a-z]/.test(english))
  .map(([english, chinese]) => [english.replace(/\b[a-z]/g, (c) => c.toUpperCase())
    .replace('(Non-Interrupting)', '(Non Interrupting)'), chinese]));
Object.assign(TITLE_CASE, { 'Lane': '泳道', 'Participant': '池（参与方）', 'Process': '流程', 'Group': '分组',
  'Text Annotation': '注释', 'Association': '关联线', 'Message Flow': '消息流', 'Data Object Reference': '数据对象',
  'Data Store Reference': '数据存储', 'Intermediate Catch Event': '中间事件', 'Collaboration': '协作' });

function chinese() {
  return !(document.documentElement.lang || 'zh').toLowerCase().startsWith('en');
}

export default function translate(template, replacements) {
  const text = chinese() ? (ZH[template] || TITLE_CASE[template] || template) : template;
  return text.replace(/{([^}]+)}/g, (_, key) => (replacements && key in replacements ? replacements[key] : `{${key}}`));
}

export const TranslateModule = { translate: ['value', translate] };
