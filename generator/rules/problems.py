"""The catalogue of problems intake can find in a returned file.

Every problem has a stable kebab-case code, a severity and a Chinese message template that says what was
found and what is expected. Codes are a public contract: inspectors' 问题清单, `--json` consumers and the
docs refer to them, so a code is never renamed or reused. Validators build problems with :func:`problem`;
they never raise.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from generator.rules.contract import ROUNDS

_ROUNDS_SAID = f"{'、'.join(ROUNDS[:-1])} 或 {ROUNDS[-1]}"  # round names live in workbook.ROUNDS only

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class ProblemType:
    code: str
    severity: str
    title: str
    template: str


@dataclass(frozen=True)
class Problem:
    """One problem found in one file, pinned to a sheet and cell where it has one."""

    code: str
    severity: str
    message: str
    file: str = ""
    sheet: str = ""
    cell: str = ""

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def _types(*rows: tuple[str, str, str, str]) -> dict[str, ProblemType]:
    return {code: ProblemType(code, severity, title, template) for code, severity, title, template in rows}


ROWS: tuple[tuple[str, str, str, str], ...] = (
    # The file itself
    ("file-unreadable", ERROR, "文件无法读取", "文件无法作为 xlsx 工作簿打开({detail});请用 Excel/WPS 另存为 .xlsx 后重新提交"),
    ("file-empty", ERROR, "空文件", "文件大小为 0 字节;请重新保存并提交"),
    ("file-not-zip", ERROR, "不是 xlsx 文件", "文件内容不是 xlsx(zip)格式,可能被改了扩展名或被邮件系统转码;请用 Excel/WPS 另存为 .xlsx 后重新提交"),
    ("file-damaged", ERROR, "文件已损坏", "文件是不完整或已损坏的 zip({detail}),可能在邮件传输中被截断;请重新发送原文件"),
    ("file-not-xlsx", ERROR, "不是 Excel 工作簿", "文件是 zip 压缩包但不是 Excel 工作簿({detail});请提交下发的 .xlsx 检查表"),
    ("file-encrypted", ERROR, "文件已加密", "文件设置了打开密码或已加密,系统无法读取;请取消密码后另存为 .xlsx 重新提交"),
    ("file-legacy-xls", ERROR, "旧版 xls 格式", "文件是旧版 Excel 97-2003(.xls)格式;请另存为 .xlsx 后重新提交:Excel/WPS 用“文件→另存为→Excel 工作簿(*.xlsx)”;LibreOffice 用“文件→另存为”,文件类型选“Excel 2007-365 (.xlsx)”"),
    ("file-too-large", ERROR, "文件过大", "文件大小为 {found},超过上限 {limit};检查表正常不足 1 MB,请勿插入图片或附件"),
    ("file-zip-limits", ERROR, "文件解压后超出限制", "文件解压后超出安全限制({detail}),未作解析;请提交下发的检查表"),
    ("file-xml-entities", ERROR, "文件含 XML 实体声明", "文件部件 {part} 含 DOCTYPE/ENTITY 声明,Excel 不会生成这样的文件,未作解析;请用 Excel/WPS 另存为 .xlsx 后重新提交"),
    ("file-macros", WARNING, "文件含宏", "文件含宏(.xlsm 或 vbaProject.bin);系统不会运行宏,只读取单元格内容,建议另存为 .xlsx"),
    ("sheet-too-large", ERROR, "工作表超出大小限制", "工作表“{sheet}”的{what}超出上限(读到 {found},上限 {limit}),未继续读取;检查表不会有这么多内容,请删除多余的行列或使用下发的检查表重新填写"),
    ("file-not-regular", ERROR, "不是普通文件", "该文件名指向{kind},不是普通文件,未读取;请提交 .xlsx 检查表文件本身"),
    ("folder-unreadable", ERROR, "文件夹无法读取", "文件夹 {path} 无法打开({reason}),其中的检查表都没有读取;请检查该文件夹的权限(当前用户需要可读、可进入)后重新运行"),
    ("file-no-permission", ERROR, "文件无法读取", "文件 {path} 没有读取权限({reason}),未作检查;请检查该文件的权限(当前用户需要可读)后重新运行"),
    ("file-other-format", ERROR, "不是 xlsx 格式", "文件是 {format} 格式,系统只读取 .xlsx 检查表;请另存为 .xlsx 后重新提交:Excel/WPS 用“文件→另存为”,类型选“Excel 工作簿(*.xlsx)”;LibreOffice 用“文件→另存为”,文件类型选“Excel 2007-365 (.xlsx)”;Numbers 用“文件→导出到→Excel”"),
    ("file-opendocument", ERROR, "OpenDocument 格式", "文件是 {format} 格式,系统只读取 .xlsx 检查表;请另存为 .xlsx 后重新提交:LibreOffice 用“文件→另存为”,文件类型选“Excel 2007-365 (.xlsx)”,提示时选“使用 Excel 2007-365!”;WPS/Excel 用“文件→另存为→Excel 工作簿(*.xlsx)”"),
    ("file-text-export", ERROR, "导出的文本表格", "文件是 {format} 格式,只保存单元格文字,检查表的工作表、格式和校验都已丢失,无法还原;请打开下发的 .xlsx 检查表填写后直接保存为 .xlsx(LibreOffice 保存时选“使用 Excel 2007-365!”,不要导出为 CSV 或 SYLK)"),
    ("file-strict-ooxml", ERROR, "Strict Open XML 格式", "文件保存为“Strict Open XML 电子表格”格式,系统无法读取;请用 Excel 另存为“Excel 工作簿(.xlsx)”后重新提交"),
    ("problems-truncated", WARNING, "问题过多,未全部列出", "该文件另有 {count} 个问题未列出(共 {total} 个);请先改正以上问题,或使用下发的检查表重新填写"),
    ("check-failed", ERROR, "校验程序出错", "校验该文件时程序出错({detail});请把文件转交系统管理员"),
    # The template
    ("template-unknown", ERROR, "不是本系统生成的检查表", "缺少隐藏工作表 _meta 或其内容({detail});请使用下发的检查表填写"),
    ("template-master", ERROR, "填的是空白母版", "这是空白母版(评价标准的预览,没有厅编码和年度),不能作为本厅的检查表;请用按营业厅清单生成的本厅检查表(文件名以厅编码开头)重新填写"),
    ("template-standard-mismatch", ERROR, "评价标准版本不符", "检查表的评价标准为 {found},本次评价使用 {expected};请使用本年度下发的检查表"),
    ("template-year-mismatch", ERROR, "检查表年度不符", "检查表年度为 {found},本次评价年度为 {expected};请使用本年度下发的检查表"),
    ("template-sheet-missing", ERROR, "缺少工作表", "缺少工作表“{sheet}”;请勿删除或重命名工作表"),
    ("template-header-missing", ERROR, "表头被改动", "未找到列“{column}”;请勿修改表头"),
    ("template-row-missing", ERROR, "检查项被删除", "未找到编号 {id} 的行;请勿删除行"),
    ("template-row-extra", ERROR, "多出的检查项", "编号 {id} 不属于评价标准;请勿增加行"),
    ("template-row-duplicate", ERROR, "检查项重复", "编号 {id} 出现多次;请勿复制行"),
    ("template-row-order", ERROR, "检查项顺序被改动", "此处应为编号 {expected},实为 {found};请勿移动或排序行"),
    ("template-item-edited", ERROR, "检查内容或分值被改动", "编号 {id} 的{field}被改为“{found}”,应为“{expected}”;请勿修改"),
    # The hall
    ("hall-unknown", ERROR, "厅编码不在营业厅清单中", "厅编码“{found}”不在营业厅清单中;请核对封面的厅编码"),
    ("hall-meta-mismatch", ERROR, "厅编码与检查表不符", "封面厅编码“{found}”与该检查表生成时的厅编码“{expected}”不符;请使用本厅的检查表"),
    ("hall-filename-mismatch", ERROR, "厅编码与文件名不符", "封面厅编码“{found}”与文件名中的厅编码“{expected}”不符;请核对是否填错了检查表"),
    ("hall-data-edited", ERROR, "封面厅信息被改动", "封面“{field}”为“{found}”,营业厅清单中为“{expected}”;请勿修改厅信息"),
    # The cover
    ("cover-round-missing", ERROR, "检查轮次未填写", f"检查轮次为空;应为 {_ROUNDS_SAID}"),
    ("cover-round-invalid", ERROR, "检查轮次无效", f"检查轮次为“{{found}}”;应为 {_ROUNDS_SAID}"),
    ("cover-date-missing", ERROR, "检查日期未填写", "检查日期为空;应为 {year} 年内不晚于今天的日期,如 {year}-06-30"),
    ("cover-date-invalid", ERROR, "检查日期无效", "检查日期为“{found}”;应为 {year} 年内不晚于今天的日期,如 {year}-06-30"),
    ("cover-date-wrong-year", ERROR, "检查日期不在评价年度内", "检查日期为 {found},不在 {year} 年内;应为 {year} 年内的日期"),
    ("cover-date-future", ERROR, "检查日期晚于今天", "检查日期为 {found},晚于今天 {today};请填写实际检查日期"),
    ("cover-inspector-missing", ERROR, "检查人未填写", "检查人为空;请填写检查人姓名"),
    # Base item scores
    ("score-blank", ERROR, "得分未填写", "编号 {id} 的得分为空;应填 0 至 {max} 的分数{na}"),
    ("score-not-number", ERROR, "得分不是数字", "编号 {id} 的得分为“{found}”;应填 0 至 {max} 的数字{na}"),
    ("score-formula", ERROR, "得分是公式", "编号 {id} 的得分为公式“{found}”;请直接填写数字"),
    ("score-out-of-range", ERROR, "得分超出范围", "编号 {id} 的得分为 {found};应在 0 至 {max} 之间"),
    ("score-step", ERROR, "得分步长不符", "编号 {id} 的得分为 {found};应为 {step} 的整数倍"),
    ("score-na-forbidden", ERROR, "该项不可填不适用", "编号 {id} 不允许填写“不适用”;应填 0 至 {max} 的分数"),
    ("reason-missing", ERROR, "扣分未写原因", "编号 {id} 得分 {found}(满分 {max}),但扣分原因为空;请写明扣分原因"),
    # Bonus and deduction events
    ("event-count-invalid", ERROR, "次数无效", "编号 {id} 的次数为“{found}”;应为 0 或正整数"),
    ("event-note-missing", WARNING, "事项未写说明", "编号 {id} 发生 {found} 次,但说明为空;建议写明事由"),
    ("bonus-note-missing", ERROR, "加分未写说明", "加分事项 {id} 填了 {found} 次,但说明为空;加分须写明事由和依据(如表彰或推广的文件),请补写说明后重新提交"),
    # Veto items
    ("veto-invalid", ERROR, "是否发生无效", "编号 {id} 的是否发生为“{found}”;应为 是 或 否"),
    ("veto-note-missing", ERROR, "一票否决未写说明", "编号 {id}({text})填了“是”,但说明为空;一票否决使营业厅评为不达标,请写明发生的事件"),
    ("text-cleaned", WARNING, "文字含不可见字符", "{field}含不可见字符 {chars}(控制字符或非字符),已删除后接收;建议检查原文"),
    # Level-rated items (评分项 with 等级)
    ("score-level-invalid", ERROR, "评定等级无效", "编号 {id} 的评定为“{found}”;应从下拉列表中选择:{levels}{na}"),
    # Returns by mail
    ("mail-no-workbook", ERROR, "邮件中没有 xlsx 检查表", "邮件“{subject}”(发件人 {sender})中没有 .xlsx 检查表附件({detail});请回复该邮件,把填好的 .xlsx 检查表作为附件发送(可直接附上,也可压缩为 zip;不要只发链接)"),
    ("zip-unreadable", ERROR, "zip 压缩包无法读取", "zip 压缩包无法读取({detail});请重新压缩后发送,或直接发送 .xlsx 检查表"),
    ("hallscore-issued", ERROR, "hallscore 发出的文件", "这是 hallscore 发出的{kind},不是回收的检查表;已列为 hallscore 自己的文件,不作校验,也不会回复"),
    ("mail-outlook-msg", ERROR, "Outlook 邮件文件", "文件是 {format},系统只读取 .eml 和 mbox 邮件;请在 Outlook 中打开该邮件,右键其中的 .xlsx 附件选“另存为”,把检查表保存出来提交(新版 Outlook 也可用“文件→另存为”把邮件保存为 .eml)"),
    ("mail-unreadable", ERROR, "邮件文件无法读取", "邮件文件无法读取({detail});请重新从邮件客户端导出为 .eml 或 mbox"),
    # Between files
    ("round-date-order", WARNING, f"{ROUNDS[0]}日期晚于上级检查", f"{ROUNDS[0]}日期 {{found}} 晚于本厅{{other}}的检查日期 {{expected}};{ROUNDS[0]}应在上级检查之前,请核对日期"),
    ("duplicate-conflict", ERROR, "同一厅同一轮次的两份检查表内容不同且日期相同", "与 {other} 为同一厅同一轮次、同一检查日期但内容不同;请确认以哪一份为准,删除另一份后重新提交"),
)
# The evaluation standard itself (评价标准工作簿 or YAML data file): `hallscore standard check` and every command
# that takes --standard report these, all at once, with the sheet and cell of a workbook.
STANDARD_ROWS: tuple[tuple[str, str, str, str], ...] = (
    ("standard-unreadable", ERROR, "评价标准文件无法读取", "无法读取评价标准文件({detail});YAML 数据文件须为 UTF-8 文本,标准工作簿须为 .xlsx"),
    ("standard-yaml-syntax", ERROR, "评价标准 YAML 格式有误", "第 {line} 行第 {column} 列:{what};请改正该处,或改用评价标准工作簿(hallscore standard export 导出样例)"),
    ("standard-not-mapping", ERROR, "评价标准文件不是键值表", "文件内容应为 YAML 键值表(id、version、title、sections、items …);请参照 hallscore standard export 导出的样例"),
    ("standard-sheet-missing", ERROR, "缺少评价标准工作表", "缺少工作表“{sheet}”;评价标准工作簿至少要有“说明”和“评分项”两张工作表"),
    ("standard-header-missing", ERROR, "评价标准表头缺列", "工作表“{sheet}”第 1 行缺少列“{column}”;请按评价标准工作簿的表头填写(可用 hallscore standard export 导出样例)"),
    ("standard-info-missing", ERROR, "说明缺少内容", "“说明”缺少“{field}”;请在“说明”表填写"),
    ("standard-list-missing", ERROR, "缺少环节或评分项", "没有任何{list};评价标准至少要有一个环节和一个评分项"),
    ("standard-entry-invalid", ERROR, "条目格式有误", "{list} 第 {n} 项不是键值表;每一项应写成“字段: 值”的键值表(如 id、text)"),
    ("standard-field-missing", ERROR, "必填内容为空", "{where} 的“{field}”为空;请填写"),
    ("standard-not-number", ERROR, "应为数字", "{where} 的“{field}”为“{found}”;应为数字"),
    ("standard-yesno-invalid", ERROR, "可不适用应为是或否", "{where} 的“可不适用”为“{found}”;应为 是 或 否"),
    ("standard-id-duplicate", ERROR, "编号重复", "编号 {id} 重复(已出现在 {other});编号在整个标准(评分项、加分项、扣分项、否决项)内须唯一"),
    ("standard-section-duplicate", ERROR, "环节重复", "环节“{section}”出现多次;每个环节只写一行"),
    ("standard-section-unknown", ERROR, "环节不在环节表中", "{where} 的环节“{section}”不在“环节”表中;请在“环节”表增加该环节或改正环节名称"),
    ("standard-section-empty", ERROR, "环节没有评分项", "环节“{section}”没有任何评分项;请删除该环节或为它增加评分项"),
    ("standard-weight-invalid", ERROR, "权重无效", "环节“{section}”的权重为 {found};权重应大于 0,不加权请留空"),
    ("standard-weight-unknown", ERROR, "权重所属环节没有评分项", "权重写给了环节“{section}”,但没有任何评分项属于该环节;请改正环节名称或删除该权重"),
    ("standard-step-invalid", ERROR, "分值步长无效", "分值步长为 {found};应大于 0,如 0.5"),
    ("standard-cap-invalid", ERROR, "加分上限无效", "加分上限为 {found};应为 0 或正数"),
    ("standard-points-invalid", ERROR, "分值无效", "{where} 的分值为 {found};应大于 0"),
    ("standard-points-step", ERROR, "分值不是步长的整数倍", "{where} 的分值 {found} 不是分值步长 {step} 的整数倍;请改正分值或“说明”中的分值步长"),
    ("standard-points-total", ERROR, "评分项分值合计不是 100", "评分项分值合计为 {found},应为 100(有环节未写权重时按分值计,基础分按百分制);请核对各项分值,或为每个环节写上权重"),
    ("standard-levels-invalid", ERROR, "等级写法有误", "{where} 的等级“{found}”无法使用:{detail};应写成 优秀=100%;良好=80%;一般=60%;差=0%"),
    ("standard-bonus-invalid", ERROR, "加分项分值有误", "加分项 {where} 的分值有误:{detail}"),
    ("standard-deduction-invalid", ERROR, "扣分项分值有误", "{where} 的每次扣分为 {found};应大于 0(填写扣分的绝对值)"),
)
ROWS = ROWS + STANDARD_ROWS
CATALOGUE: dict[str, ProblemType] = _types(*ROWS)
FIELD_LIMIT = 60  # a value quoted from a cell is cut to this many characters in messages


def problem(code: str, file: str = "", sheet: str = "", cell: str = "", **fields: object) -> Problem:
    """Build a problem of a catalogued type, its message filled from ``fields``."""
    kind = CATALOGUE[code]
    said = {k: _short(v) for k, v in fields.items()}
    # sheet and cell are fields too: a template may name the sheet ("缺少工作表“{sheet}”").
    return Problem(code, kind.severity, kind.template.format(sheet=sheet, cell=cell, **said), file, sheet, cell)


def _short(value: object) -> str:
    text = str(value)
    return text if len(text) <= FIELD_LIMIT else text[:FIELD_LIMIT] + "…"


def catalogue_markdown() -> str:
    """The code list for docs/problems.md (regenerate with ``python -m generator.rules.problems``)."""
    lines = [
        "# 问题代码",
        "",
        "校验回收检查表和评价标准(`standard-` 开头)时可能报告的全部问题。代码是稳定的公开约定:不会改名,也不会被另作他用。",
        "“错误”使文件被退回;“提示”不影响接收。本页由 `python -m generator.rules.problems > docs/problems.md` 生成。",
        "",
        "| 代码 | 级别 | 名称 | 说明模板 |",
        "|---|---|---|---|",
    ]
    for kind in CATALOGUE.values():
        level = "错误" if kind.severity == ERROR else "提示"
        template = kind.template.replace("|", "\\|")
        lines.append(f"| `{kind.code}` | {level} | {kind.title} | {template} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(catalogue_markdown(), end="")
