"""``calculator``: arithmetic parsed into a syntax tree and evaluated node by node; never
``eval``. Powers, parentheses and common functions; division by zero, huge powers and
results too large to be useful are errors, not hangs."""
from __future__ import annotations

import ast
import math
import operator

from app.tools.base import Tool, ToolContext, ToolError

MAX_EXPRESSION_CHARS = 500
MAX_EXPONENT = 10_000
MAX_DIGITS = 1_000
BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
          ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow}
UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg}
FUNCTIONS = {"sqrt": math.sqrt, "sin": math.sin, "cos": math.cos, "tan": math.tan, "asin": math.asin,
             "acos": math.acos, "atan": math.atan, "log": math.log, "log10": math.log10, "log2": math.log2,
             "exp": math.exp, "abs": abs, "round": round, "floor": math.floor, "ceil": math.ceil,
             "min": min, "max": max, "factorial": math.factorial}
CONSTANTS = {"pi": math.pi, "e": math.e, "tau": math.tau}


def evaluate(expression: str) -> int | float:
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise ToolError(f"The expression is longer than {MAX_EXPRESSION_CHARS} characters.")
    try:
        tree = ast.parse(expression.replace("^", "**"), mode="eval")
    except SyntaxError:
        raise ToolError(f"“{expression}” is not an arithmetic expression.") from None
    return _value(tree.body)


def _number(value) -> int | float:
    if isinstance(value, int) and abs(value) >= 10 ** MAX_DIGITS:
        raise ToolError(f"The result has more than {MAX_DIGITS} digits.")
    if isinstance(value, float) and math.isinf(value):
        raise ToolError("The result is too large.")
    return value


def _value(node: ast.AST) -> int | float:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.Name) and node.id in CONSTANTS:
        return CONSTANTS[node.id]
    if isinstance(node, ast.UnaryOp) and type(node.op) in UNARY:
        return UNARY[type(node.op)](_value(node.operand))
    if isinstance(node, ast.BinOp) and type(node.op) in BINARY:
        left, right = _value(node.left), _value(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > MAX_EXPONENT and abs(left) not in (0, 1):
            raise ToolError(f"The exponent {right} is too large (at most {MAX_EXPONENT}).")
        if isinstance(node.op, ast.Pow) and isinstance(left, int) and isinstance(right, int) and right > 0 \
                and right * math.log10(max(abs(left), 1)) > MAX_DIGITS:
            raise ToolError(f"The result has more than {MAX_DIGITS} digits.")
        try:
            return _number(BINARY[type(node.op)](left, right))
        except ZeroDivisionError:
            raise ToolError("Division by zero.") from None
        except OverflowError:
            raise ToolError("The result is too large.") from None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS and not node.keywords:
        arguments = [_value(a) for a in node.args]
        if node.func.id == "factorial" and (len(arguments) != 1 or not isinstance(arguments[0], int) or arguments[0] > 450):
            raise ToolError("factorial takes one whole number up to 450.")
        if node.func.id == "round" and len(arguments) == 2 and isinstance(arguments[1], int) \
                and abs(arguments[1]) > MAX_DIGITS:  # round(1, -10**7) computes 10**(10**7) first
            raise ToolError(f"round takes at most {MAX_DIGITS} digits.")
        try:
            return _number(FUNCTIONS[node.func.id](*arguments))
        except (ValueError, TypeError) as exc:
            raise ToolError(f"{node.func.id}: {exc}.") from None
        except OverflowError:
            raise ToolError("The result is too large.") from None
    raise ToolError("Only numbers, + - * / // % ** ( ), pi, e and the functions "
                    f"{', '.join(sorted(FUNCTIONS))} are allowed.")


def run(arguments: dict, context: ToolContext) -> str:
    result = evaluate(arguments["expression"])
    if isinstance(result, float) and result.is_integer() and abs(result) < 1e15:
        result = int(result)
    return str(result)


TOOL = Tool(
    name="calculator",
    description="Evaluate an arithmetic expression exactly: + - * / // % ** and parentheses, pi and e, "
                "and sqrt, sin, cos, tan, log, log10, exp, abs, round, floor, ceil, min, max, factorial.",
    parameters={"type": "object", "properties": {"expression": {"type": "string", "minLength": 1,
                                                                "description": "For example (2 + 3) * 4 ** 2"}},
                "required": ["expression"], "additionalProperties": False},
    run=run,
    isolated=True,
)
