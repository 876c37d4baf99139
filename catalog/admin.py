"""The catalogue in the admin: products, departments, their rules and fields.

Only superusers change it (it decides what customers are entitled to); staff with the view
permission (the Agents group) can read it.
"""

from django.contrib import admin

from .models import Department, DepartmentField, Product


class SuperuserEditsMixin:
    def has_add_permission(self, request, *args):
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser


class DepartmentInline(SuperuserEditsMixin, admin.TabularInline):
    model = Department
    fields = ("code", "name_es", "name_en", "warranty_rule", "contract_rule", "credits_rule",
              "is_active", "position")
    extra = 0
    show_change_link = True


class DepartmentFieldInline(SuperuserEditsMixin, admin.TabularInline):
    model = DepartmentField
    fields = ("key", "kind", "label_es", "label_en", "help_es", "help_en", "choices_text",
              "required", "position")
    extra = 0


@admin.register(Product)
class ProductAdmin(SuperuserEditsMixin, admin.ModelAdmin):
    list_display = ("code", "name_es", "name_en", "position", "is_active")
    list_editable = ()
    search_fields = ("code", "name_es", "name_en")
    inlines = [DepartmentInline]


@admin.register(Department)
class DepartmentAdmin(SuperuserEditsMixin, admin.ModelAdmin):
    list_display = ("code", "product", "name_en", "warranty_rule", "contract_rule",
                    "credits_rule", "requires_module_maintenance", "is_active")
    list_filter = ("product", "credits_rule", "contract_rule", "warranty_rule", "is_active")
    list_select_related = ("product",)
    search_fields = ("code", "name_es", "name_en")
    inlines = [DepartmentFieldInline]
