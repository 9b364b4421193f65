#include <histedit.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "CLineEdit.h"

static EditLine *editor;
static History *history_list;
static char *current_prompt;

static char *prompt(EditLine *unused) {
    (void)unused;
    return current_prompt != NULL ? current_prompt : "";
}

int cle_open(void) {
    if (editor != NULL) return 0;
    // libedit decodes typed bytes with the C library's locale; UTF-8 answers need a UTF-8 one.
    const char *locale = setlocale(LC_CTYPE, "");
    if (locale == NULL || strcmp(locale, "C") == 0 || strcmp(locale, "POSIX") == 0) setlocale(LC_CTYPE, "C.UTF-8");
    editor = el_init("incident", stdin, stderr, stderr);
    if (editor == NULL) return -1;
    HistEvent event;
    history_list = history_init();
    history(history_list, &event, H_SETSIZE, 500);
    history(history_list, &event, H_SETUNIQUE, 1);
    el_set(editor, EL_EDITOR, "emacs");
    // On Ctrl-C libedit puts the terminal back in cooked mode before the program's own handler runs.
    el_set(editor, EL_SIGNAL, 1);
    el_set(editor, EL_PROMPT_ESC, prompt, '\1');
    el_set(editor, EL_HIST, history, history_list);
    // As in readline: Ctrl-W deletes the word before the cursor, Ctrl-U the line before it.
    el_set(editor, EL_BIND, "^W", "ed-delete-prev-word", NULL);
    el_set(editor, EL_BIND, "^U", "vi-kill-line-prev", NULL);
    // Home, End and Delete as the common terminals send them.
    const char *home[] = {"\\e[H", "\\eOH", "\\e[1~", "\\e[7~"};
    const char *end[] = {"\\e[F", "\\eOF", "\\e[4~", "\\e[8~"};
    for (int i = 0; i < 4; i++) {
        el_set(editor, EL_BIND, home[i], "ed-move-to-beg", NULL);
        el_set(editor, EL_BIND, end[i], "ed-move-to-end", NULL);
    }
    el_set(editor, EL_BIND, "\\e[3~", "ed-delete-next-char", NULL);
    return 0;
}

char *cle_gets(const char *text, const char *initial) {
    if (editor == NULL && cle_open() != 0) return NULL;
    free(current_prompt);
    current_prompt = strdup(text);
    if (initial != NULL && initial[0] != '\0') el_push(editor, initial);
    int count = 0;
    const char *line = el_gets(editor, &count);
    if (line == NULL || count <= 0) return NULL;
    size_t length = (size_t)count;
    while (length > 0 && (line[length - 1] == '\n' || line[length - 1] == '\r')) length--;
    char *copy = malloc(length + 1);
    if (copy == NULL) return NULL;
    memcpy(copy, line, length);
    copy[length] = '\0';
    return copy;
}

void cle_remember(const char *line) {
    if (history_list == NULL || line[0] == '\0') return;
    HistEvent event;
    history(history_list, &event, H_ENTER, line);
}
