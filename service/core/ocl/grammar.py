"""The OCL grammar (lark, LALR): expressions, and Complete OCL documents made of them.

One grammar with two start symbols: `expr` for an invariant's body (Ecore annotations),
`document` for a `.ocl` file (`package`, `context C`, `inv Name: expr`, ...). Operator
precedence follows OCL 2.4, lowest first: `let`, `implies`, `xor`, `or`, `and`, `=`/`<>`,
relational, additive, multiplicative, unary `not`/`-`, then `.` and `->` calls.
Arguments are parsed loosely (`x : T = e` is accepted anywhere) and sorted out when the
tree becomes an AST, which keeps iterator calls (`->forAll(a, b | ...)`) LALR(1).
"""

from __future__ import annotations

GRAMMAR = r"""
document: _item*
_item: import_decl | package_decl | context_decl
import_decl: "import" (NAME ":")? STRING
package_decl: "package" pathname (context_decl)* "endpackage"
context_decl: "context" (NAME ":")? pathname signature? clause+
signature: "(" [param ("," param)*] ")" (":" type)?
         | ":" type
param: NAME ":" type
clause: "inv" NAME? ("(" expr ")")? ":" expr                        -> inv
      | "def" NAME? ":" NAME signature? "=" expr                    -> other_clause
      | CONTRACT NAME? ":" expr                                     -> other_clause
CONTRACT: "pre" | "post" | "body" | "init" | "derive"

?expr: let_expr | implies
let_expr: "let" let_var ("," let_var)* "in" expr
let_var: NAME (":" type)? "=" expr

?implies: xor | implies "implies" xor                  -> implies_op
?xor: or_ | xor "xor" or_                              -> xor_op
?or_: and_ | or_ "or" and_                             -> or_op
?and_: equality | and_ "and" equality                  -> and_op
?equality: relation | equality eq_op relation          -> binary
?relation: additive | relation rel_op additive         -> binary
?additive: multiplicative | additive add_op multiplicative -> binary
?multiplicative: unary | multiplicative mul_op unary   -> binary
!eq_op: "=" | "<>"
!rel_op: "<=" | ">=" | "<" | ">"
!add_op: "+" | "-"
!mul_op: "*" | "/" | "div" | "mod"
?unary: postfix | "not" unary                          -> not_op
      | "-" unary                                      -> neg_op
?postfix: primary
        | postfix "." NAME                             -> nav
        | postfix "." NAME "(" args ")"                -> call
        | postfix "->" NAME "(" args ")"               -> arrow

args: [arg ("," arg)*] (";" acc_arg)? ("|" expr)?
arg: expr (":" type ("=" expr)?)?
acc_arg: expr (":" type ("=" expr)?)?

?primary: literal
        | "self"                                       -> self_ref
        | pathname                                     -> name
        | "(" expr ")"
        | "if" expr "then" expr "else" expr "endif"    -> if_expr
        | coll_kind "{" [coll_item ("," coll_item)*] "}" -> coll_literal
coll_item: expr (".." expr)?
!coll_kind: "Set" | "OrderedSet" | "Bag" | "Sequence"

pathname: NAME ("::" NAME)*
type: pathname | coll_kind "(" type ")"

literal: INT -> int_lit
       | REAL -> real_lit
       | STRING -> string_lit
       | "true" -> true_lit
       | "false" -> false_lit
       | "null" -> null_lit
       | "invalid" -> invalid_lit

NAME: /[A-Za-z_][A-Za-z0-9_]*/ | /_'([^'\\]|\\.)*'/
INT: /[0-9]+/
REAL: /[0-9]+\.[0-9]+([eE][+-]?[0-9]+)?/ | /[0-9]+[eE][+-]?[0-9]+/
STRING: /'([^'\\\n]|\\.)*'/
COMMENT: /--[^\n]*/ | /\/\*(.|\n)*?\*\//
%import common.WS
%ignore WS
%ignore COMMENT
"""
