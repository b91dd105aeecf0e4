"""Editor support, over the pipeline: what an editor asks of a program.

`workspace` analyses the program an open file belongs to, with the editor's
unsaved buffers in place of the files; `index` finds what stands at a place
(predicates, sources, variables), their definitions, references and a
file's outline; `hover` and `complete` answer those requests as text. All of
it is plain Python, positioned by `Span` (1-based lines and columns in code
points). `engine.editor.lsp` alone speaks the Language Server Protocol
(through pygls) and converts positions to the client's units.
"""
