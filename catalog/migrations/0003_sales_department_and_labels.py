"""A free "Sales questions" department (where the wizard's fixes lead: renew a contract,
extend a warranty, renew a module's maintenance, buy a contract) and the Spanish label of
the Deployment ID field. Creates only what is missing; staff edit it in the admin."""

from django.db import migrations

SALES = {"code": "sales", "name_es": "Ventas y renovaciones", "name_en": "Sales and renewals"}
QUESTIONS = {
    "code": "sales-questions", "name_es": "Consultas comerciales", "name_en": "Sales questions",
    "description_es": "Renovaciones de contratos de soporte y de mantenimiento de módulos, "
                      "extensiones de garantía y compras. Sin cargo.",
    "description_en": "Renewals of support contracts and module maintenance, warranty "
                      "extensions and purchases. Free of charge.",
    "warranty_rule": "not_checked", "contract_rule": "not_offered", "credits_rule": "free",
}
ABOUT = {"key": "about", "kind": "text", "label_es": "Número de serie o ID de despliegue",
         "label_en": "Serial number or Deployment ID", "required": False, "position": 0}


def forwards(apps, schema_editor):
    Product = apps.get_model("catalog", "Product")
    Department = apps.get_model("catalog", "Department")
    DepartmentField = apps.get_model("catalog", "DepartmentField")
    product, _ = Product.objects.get_or_create(
        code=SALES["code"], defaults={**SALES, "position": 100})
    department, created = Department.objects.get_or_create(
        code=QUESTIONS["code"], defaults={**QUESTIONS, "product": product, "position": 0})
    if created:
        DepartmentField.objects.create(department=department, **ABOUT)
    DepartmentField.objects.filter(kind="deployment", label_es="Deployment ID").update(
        label_es="ID de despliegue (Deployment ID)")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_seed_support_catalogue")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
