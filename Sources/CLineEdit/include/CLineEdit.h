#ifndef CLINEEDIT_H
#define CLINEEDIT_H

/// Line editing with libedit on the terminal at stdin, drawing on stderr: emacs keys, the cursor
/// keys, Home/End, Ctrl-A/E/W/U, and a history of the lines entered in this process.
/// 0 when ready, -1 when libedit cannot start (no terminal).
int cle_open(void);

/// Reads one line after `prompt` (colour sequences in it wrapped in \001 … \001), with `initial`
/// already typed. Returns the line without its newline (free it), or NULL at end of input
/// (Ctrl-D on an empty line) or on a read error.
char *cle_gets(const char *prompt, const char *initial);

/// Adds a line to the history Up and Down walk through.
void cle_remember(const char *line);

#endif
