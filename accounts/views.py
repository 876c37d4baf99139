from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from . import services
from .forms import ContactDetailsForm, LoginForm


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        # Unchecked: the session ends when the browser closes; checked: SESSION_COOKIE_AGE.
        self.request.session.set_expiry(None if form.cleaned_data.get("remember_me") else 0)
        return response


class LogoutView(auth_views.LogoutView):
    pass


@login_required
def confirm_details(request):
    form = ContactDetailsForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        services.contact_details_confirm(user=request.user, **form.cleaned_data)
        target = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
            target = "tickets:my_tickets"
        return redirect(target)
    return render(request, "accounts/confirm_details.html", {"form": form})
