/* Doubly linked lists threaded through their items (a `next` and a `prev`
 * member), in the style of systemd's LIST_*: prepending and unlinking
 * written once. The list's head is a pointer to its first item. */
#pragma once

#define LIST_PREPEND(head, item)                        \
        do {                                            \
                (item)->prev = NULL;                    \
                (item)->next = (head);                  \
                if (head)                               \
                        (head)->prev = (item);          \
                (head) = (item);                        \
        } while (0)

#define LIST_REMOVE(head, item)                              \
        do {                                                 \
                if ((item)->prev)                            \
                        (item)->prev->next = (item)->next;   \
                else                                         \
                        (head) = (item)->next;               \
                if ((item)->next)                            \
                        (item)->next->prev = (item)->prev;   \
                (item)->next = (item)->prev = NULL;          \
        } while (0)
